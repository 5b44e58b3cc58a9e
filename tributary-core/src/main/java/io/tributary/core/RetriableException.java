package io.tributary.core;

import org.jspecify.annotations.Nullable;

/**
 * Thrown for a transient condition (back-pressure, a broker not reachable yet, a timeout): the same request may
 * succeed later. HTTP 503.
 */
public non-sealed class RetriableException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public RetriableException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public RetriableException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 503;
    }

    @Override
    public boolean isRetriable() {
        return true;
    }
}
