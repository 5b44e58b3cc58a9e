package io.tributary.projection;

import java.sql.Connection;

/**
 * What a {@link ProjectionHandler} gets with each batch: the transaction to write in, the table names of the version
 * being written, and whether this is a replay.
 *
 * <p>Valid only during the handler call, on the calling thread. Do not commit, roll back or close the connection:
 * the runtime commits it together with the checkpoint, or rolls both back.
 */
public interface ProjectionContext {

    /**
     * MDC key: the projection's name, set while its handler runs. The other keys are those of processors
     * ({@link io.tributary.processing.ProcessingContext#MDC_TOPIC} and the rest; see {@code docs/metrics.md}).
     */
    String MDC_PROJECTION = "projection";
    /** MDC key: the read-model version the handler writes. */
    String MDC_VERSION = "projectionVersion";

    /** The projection's name. */
    String projection();

    /** The read-model version being written: the live one, or the one a rebuild is building. */
    int version();

    /** The physical table names of {@link #version()}. */
    VersionTables tables();

    /** Shortcut for {@code tables().name(logical)}. */
    default String table(String logical) {
        return tables().name(logical);
    }

    /** The open transaction (auto-commit off). Rows written here commit atomically with the checkpoint. */
    Connection connection();

    /**
     * True while a rebuild replays events the live version already handled; side effects must not happen again then.
     */
    boolean isReplaying();

    /**
     * Runs {@code effect} now, inside the handler call, unless {@link #isReplaying()}. Because it runs inside the
     * batch's transaction, an effect that writes through {@link #connection()} (e.g. an outbox row) commits exactly
     * once with the read model; an external effect (an HTTP call) is at-least-once: a retried or crashed batch runs
     * it again. An exception fails the batch like any handler exception.
     */
    void sideEffect(SideEffect effect) throws Exception;
}
