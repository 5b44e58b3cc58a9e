package io.tributary.projection;

import io.tributary.core.ErrorCode;
import io.tributary.core.RetriableException;
import io.tributary.projection.internal.ProjectionRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A running projection: a handler applying a source's events to JDBC read-model tables, with its checkpoint written
 * in the same transaction as its rows.
 *
 * <pre>{@code
 * Projection<RecordedEvent> totals = Projection.start(dataSource, EventStoreSource.category(store, "order"),
 *         ReadModel.of(List.of("order_totals"), (c, t) -> ...create t.name("order_totals")...),
 *         ProjectionHandler.perEvent((e, ctx) -> ...upsert into ctx.table("order_totals")...),
 *         ProjectionConfig.of("order-totals"));
 * }</pre>
 *
 * <p><b>Ordering:</b> events are applied in source order (per log partition; global order for the event store), one
 * batch per transaction, on one worker thread per version. <b>Durability and exactly-once:</b> a batch's rows and the
 * checkpoint commit together or not at all, so after a crash, a kill or an interrupted stop the projection resumes at
 * the checkpoint of the last committed batch and the read model holds each event's effect exactly once. The source's
 * consumer-group offsets are never used. <b>Thread-safety:</b> all methods are thread-safe. <b>One instance</b> per
 * projection name and database: two instances would both write the same version.
 *
 * <p><b>Rebuild</b> ({@link #rebuild}) builds a new version from the beginning into shadow tables while the live
 * version keeps serving, then switches in one transaction; readers resolve the live table with
 * {@link #liveTable(String)} or {@link ReadModels#liveTable}.
 *
 * <p><b>Observability</b> ({@link ProjectionConfig#telemetry()}): Micrometer meters (lag, checkpoint, batch latency
 * and size, retries, rebuild progress), one OpenTelemetry consume span per batch attempt and the SLF4J MDC; all listed
 * in {@code docs/metrics.md}. The meters are removed by {@link #close()}.
 *
 * @param <E> the source's event type
 */
public final class Projection<E> implements AutoCloseable {

    private final ProjectionRuntime<E> runtime;

    private Projection(ProjectionRuntime<E> runtime) {
        this.runtime = runtime;
    }

    /**
     * Creates the catalog tables if missing, creates version 1 of the read model on the very first start, and starts
     * applying events after the live version's stored checkpoint.
     *
     * @param dataSource the read-model database (PostgreSQL, H2 or MariaDB); a pool is recommended
     */
    public static <E> Projection<E> start(DataSource dataSource, ProjectionSource<E> source, ReadModel readModel,
                                          ProjectionHandler<E> handler, ProjectionConfig config) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(readModel, "readModel");
        Objects.requireNonNull(handler, "handler");
        Objects.requireNonNull(config, "config");
        try {
            return new Projection<>(ProjectionRuntime.start(dataSource, source, readModel, handler, config));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(config.name());
        }
    }

    public String name() {
        return runtime.config().name();
    }

    /** The live worker's state. */
    public ProjectionState state() {
        return runtime.live().state();
    }

    /** Why the live version stopped, if a batch failed its last attempt. */
    public Optional<ProjectionFailure> failure() {
        return Optional.ofNullable(runtime.live().failure());
    }

    /** The live read-model version. */
    public int liveVersion() {
        return runtime.live().version();
    }

    /** The physical name of a logical table of the live version (cached; see {@link ReadModels} for other processes). */
    public String liveTable(String logical) {
        return runtime.live().tables().name(logical);
    }

    /** The live version's committed checkpoint per source partition. */
    public Map<String, Long> checkpoints() {
        return runtime.live().committed();
    }

    /** Events the live version has applied since it was built. */
    public long eventsApplied() {
        return runtime.live().eventCount();
    }

    /**
     * How far the live version is behind its source, in events and in time. Reads the source: the end offsets (and
     * one record per lagging partition) of a topic, or the unapplied events of the event store, counted up to
     * {@link ProjectionConfig#lagCountLimit()}.
     */
    public ProjectionLag lag() {
        return runtime.lag();
    }

    /** Waits until {@link #lag()} reports no events behind; false on timeout or if the projection stopped. */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (runtime.live().state() == ProjectionState.FAILED) {
                return false;
            }
            if (runtime.lagOfLiveEvents() == 0) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /**
     * Rebuilds the read model with the same handler and tables. See {@link #rebuild(ReadModel, ProjectionHandler)}.
     */
    public Rebuild rebuild() {
        return rebuild(runtime.readModel(), runtime.live().handler());
    }

    /**
     * Builds a new version from the beginning of the source into new tables with {@code handler}, with
     * {@link ProjectionContext#isReplaying()} true (side effects suppressed), while the live version keeps serving
     * and advancing. When it has caught up, the live version is stopped between two batches, the new one applies the
     * last events up to the same checkpoint, and one transaction makes it live; it then continues with side effects
     * on, and the old version is retired. If an unfinished rebuild with the same tables exists (the process stopped),
     * it is resumed from its own checkpoint.
     *
     * @throws io.tributary.core.ConflictException {@link ProjectionErrors#PROJECTION_REBUILD_RUNNING} if one runs
     */
    public Rebuild rebuild(ReadModel readModel, ProjectionHandler<E> handler) {
        try {
            return runtime.rebuild(readModel, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw interrupted(name());
        }
    }

    /** The rebuild started by this instance, if any (running or finished). */
    public Optional<Rebuild> currentRebuild() {
        return runtime.currentRebuild();
    }

    /**
     * Drops the tables of retired versions. Readers that resolved a retired table before the switch and still query
     * it would then fail, so call this once such reads are over.
     *
     * @return the versions dropped
     */
    public List<Integer> dropRetiredVersions() {
        return runtime.dropRetiredVersions();
    }

    /**
     * Stops: the current batch finishes (or, after {@link ProjectionConfig#stopTimeout()}, is interrupted and rolls
     * back). A running rebuild stops too and is resumed by the next {@link #rebuild}. Idempotent.
     */
    @Override
    public void close() {
        try {
            runtime.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static RetriableException interrupted(String name) {
        return new RetriableException(ErrorCode.CLOSED, "Interrupted while starting projection '" + name
                + "'; nothing was applied that was not committed. Start it again.");
    }
}
