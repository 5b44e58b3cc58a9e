package io.tributary.outbox;

import io.tributary.core.ErrorCode;

/** Stable error codes of the outbox and inbox. */
public final class OutboxErrors {

    public static final ErrorCode OUTBOX_DATABASE_ERROR = ErrorCode.of("OUTBOX_DATABASE_ERROR");
    public static final ErrorCode OUTBOX_UNSUPPORTED_DATABASE = ErrorCode.of("OUTBOX_UNSUPPORTED_DATABASE");
    public static final ErrorCode OUTBOX_KEY_TOO_LONG = ErrorCode.of("OUTBOX_KEY_TOO_LONG");
    public static final ErrorCode OUTBOX_NOT_IN_TRANSACTION = ErrorCode.of("OUTBOX_NOT_IN_TRANSACTION");
    public static final ErrorCode OUTBOX_ROW_NOT_FOUND = ErrorCode.of("OUTBOX_ROW_NOT_FOUND");
    public static final ErrorCode OUTBOX_TABLE_MISSING = ErrorCode.of("OUTBOX_TABLE_MISSING");

    private OutboxErrors() {
    }
}
