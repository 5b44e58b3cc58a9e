package io.tributary.core;

import org.jspecify.annotations.Nullable;

/** Thrown when bad input: the same request will fail again until it is corrected. HTTP 400. */
public non-sealed class InvalidRequestException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public InvalidRequestException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 400;
    }
}
