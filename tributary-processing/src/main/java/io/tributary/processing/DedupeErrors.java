package io.tributary.processing;

import io.tributary.core.ErrorCode;

/** Stable error codes of the dedupe stores (in addition to the shared ones in {@link ErrorCode}). */
public final class DedupeErrors {

    /** A JDBC dedupe claim failed in the database; the transaction should roll back and the event be redelivered. */
    public static final ErrorCode DEDUPE_DATABASE_ERROR = ErrorCode.of("DEDUPE_DATABASE_ERROR");
    /** The database is not one the JDBC dedupe store supports (PostgreSQL, MariaDB/MySQL, H2). */
    public static final ErrorCode DEDUPE_UNSUPPORTED_DATABASE = ErrorCode.of("DEDUPE_UNSUPPORTED_DATABASE");
    /** A claim was asked for outside a transaction (auto-commit connection, or a finished transaction). */
    public static final ErrorCode DEDUPE_NOT_IN_TRANSACTION = ErrorCode.of("DEDUPE_NOT_IN_TRANSACTION");
    /** The embedded store's file is already open in another store. */
    public static final ErrorCode DEDUPE_FILE_IN_USE = ErrorCode.of("DEDUPE_FILE_IN_USE");

    private DedupeErrors() {
    }
}
