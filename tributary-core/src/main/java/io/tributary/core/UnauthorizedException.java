package io.tributary.core;

import org.jspecify.annotations.Nullable;

/** Thrown when the caller is not allowed to do this. HTTP 403. */
public non-sealed class UnauthorizedException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public UnauthorizedException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public UnauthorizedException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 403;
    }
}
