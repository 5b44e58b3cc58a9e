package io.tributary.log;

import io.tributary.core.ErrorCode;

/** The stable error codes of the EventLog API. Every backend throws these, so callers match on one set. */
public final class LogErrors {

    public static final ErrorCode TOPIC_NOT_FOUND = ErrorCode.of("TOPIC_NOT_FOUND");
    public static final ErrorCode TOPIC_ALREADY_EXISTS = ErrorCode.of("TOPIC_ALREADY_EXISTS");
    public static final ErrorCode INVALID_TOPIC_NAME = ErrorCode.of("INVALID_TOPIC_NAME");
    public static final ErrorCode INVALID_PARTITION_COUNT = ErrorCode.of("INVALID_PARTITION_COUNT");
    public static final ErrorCode INVALID_TOPIC_CONFIG = ErrorCode.of("INVALID_TOPIC_CONFIG");
    public static final ErrorCode PARTITION_OUT_OF_RANGE = ErrorCode.of("PARTITION_OUT_OF_RANGE");
    public static final ErrorCode RECORD_TOO_LARGE = ErrorCode.of("RECORD_TOO_LARGE");
    public static final ErrorCode OFFSET_OUT_OF_RANGE = ErrorCode.of("OFFSET_OUT_OF_RANGE");
    public static final ErrorCode NO_COMMITTED_OFFSET = ErrorCode.of("NO_COMMITTED_OFFSET");
    public static final ErrorCode NOT_PARTITION_OWNER = ErrorCode.of("NOT_PARTITION_OWNER");
    public static final ErrorCode NOT_ASSIGNED = ErrorCode.of("NOT_ASSIGNED");
    public static final ErrorCode GROUP_NOT_FOUND = ErrorCode.of("GROUP_NOT_FOUND");
    public static final ErrorCode GROUP_NOT_EMPTY = ErrorCode.of("GROUP_NOT_EMPTY");
    public static final ErrorCode GROUP_ID_REQUIRED = ErrorCode.of("GROUP_ID_REQUIRED");
    public static final ErrorCode PRODUCER_BUFFER_FULL = ErrorCode.of("PRODUCER_BUFFER_FULL");
    public static final ErrorCode DATA_DIR_LOCKED = ErrorCode.of("DATA_DIR_LOCKED");
    public static final ErrorCode DATA_DIR_NOT_WRITABLE = ErrorCode.of("DATA_DIR_NOT_WRITABLE");
    public static final ErrorCode DISK_FULL = ErrorCode.of("DISK_FULL");
    public static final ErrorCode UNKNOWN_BACKEND = ErrorCode.of("UNKNOWN_BACKEND");
    public static final ErrorCode BROKER_UNREACHABLE = ErrorCode.of("BROKER_UNREACHABLE");
    public static final ErrorCode TRANSACTION_FAILED = ErrorCode.of("TRANSACTION_FAILED");

    private LogErrors() {
    }
}
