package io.tributary.core;

import org.jspecify.annotations.Nullable;

/** Thrown when the request contradicts the current state (a stale expected version, a name already taken). HTTP 409. */
public non-sealed class ConflictException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public ConflictException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public ConflictException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 409;
    }
}
