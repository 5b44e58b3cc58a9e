package io.tributary.core;

import org.jspecify.annotations.Nullable;

/** Thrown when stored data failed an integrity check; an operator must act (the message names the file and offset). HTTP 500. */
public non-sealed class CorruptionException extends TributaryException {

    private static final long serialVersionUID = 1L;

    public CorruptionException(ErrorCode code, String message) {
        super(code, message, null);
    }

    public CorruptionException(ErrorCode code, String message, @Nullable Throwable cause) {
        super(code, message, cause);
    }

    @Override
    public int httpStatus() {
        return 500;
    }
}
