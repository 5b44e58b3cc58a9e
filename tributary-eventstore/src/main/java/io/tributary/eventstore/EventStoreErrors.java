package io.tributary.eventstore;

import io.tributary.core.ErrorCode;

/** The stable error codes of the event store; the HTTP API reuses them verbatim. */
public final class EventStoreErrors {

    /** The stream is not at the version the append (or delete) expected. */
    public static final ErrorCode WRONG_EXPECTED_VERSION = ErrorCode.of("WRONG_EXPECTED_VERSION");
    /** The stream was hard-deleted (tombstoned); its name can never be used again. */
    public static final ErrorCode STREAM_DELETED = ErrorCode.of("STREAM_DELETED");
    /** The stream named does not exist (e.g. when storing a snapshot). */
    public static final ErrorCode STREAM_NOT_FOUND = ErrorCode.of("STREAM_NOT_FOUND");
    /** An event id was already written at a different position. */
    public static final ErrorCode DUPLICATE_EVENT_ID = ErrorCode.of("DUPLICATE_EVENT_ID");
    /** A stream name breaks the naming rule. */
    public static final ErrorCode INVALID_STREAM_NAME = ErrorCode.of("INVALID_STREAM_NAME");
    /** An event (type, size, batch) is not acceptable. */
    public static final ErrorCode INVALID_EVENT = ErrorCode.of("INVALID_EVENT");
    /** A stream holds as many events or appends as its backend allows; continue in a new stream. */
    public static final ErrorCode STREAM_TOO_LONG = ErrorCode.of("STREAM_TOO_LONG");
    /** The backend named in the settings is not on the class path. */
    public static final ErrorCode UNKNOWN_BACKEND = ErrorCode.of("UNKNOWN_EVENT_STORE_BACKEND");
    /** A command was retried on conflicts as often as allowed and still lost. */
    public static final ErrorCode TOO_MANY_CONFLICTS = ErrorCode.of("TOO_MANY_CONFLICTS");

    private EventStoreErrors() {
    }
}
