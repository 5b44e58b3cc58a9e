package io.tributary.core;

import org.jspecify.annotations.Nullable;

/** Thrown when the thing named does not exist. HTTP 404. */
public non-sealed class NotFoundException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public NotFoundException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public NotFoundException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 404;
    }
}
