package io.tributary.projection;

import io.tributary.core.ErrorCode;

/** Stable error codes of projections. */
public final class ProjectionErrors {

    /** The projection could not begin reading its source (e.g. the topic does not exist). */
    public static final ErrorCode PROJECTION_START_FAILED = ErrorCode.of("PROJECTION_START_FAILED");
    /** A read, write or DDL statement against the read-model database failed. */
    public static final ErrorCode PROJECTION_DATABASE_ERROR = ErrorCode.of("PROJECTION_DATABASE_ERROR");
    /** The projection has no live version yet (it was never started against this database). */
    public static final ErrorCode PROJECTION_NOT_FOUND = ErrorCode.of("PROJECTION_NOT_FOUND");
    /** A table name was asked for that the read model does not declare. */
    public static final ErrorCode PROJECTION_UNKNOWN_TABLE = ErrorCode.of("PROJECTION_UNKNOWN_TABLE");
    /** A rebuild was requested while another one of the same projection is running. */
    public static final ErrorCode PROJECTION_REBUILD_RUNNING = ErrorCode.of("PROJECTION_REBUILD_RUNNING");
    /** The versions table changed under a switch: another instance runs the same projection. */
    public static final ErrorCode PROJECTION_SWITCH_CONFLICT = ErrorCode.of("PROJECTION_SWITCH_CONFLICT");
    /** The projection was used after {@link Projection#close()}. */
    public static final ErrorCode PROJECTION_CLOSED = ErrorCode.of("PROJECTION_CLOSED");

    private ProjectionErrors() {
    }
}
