package io.tributary.projection.internal;

import io.tributary.core.RetriableException;
import io.tributary.processing.RetryPolicy;
import io.tributary.projection.ProjectionConfig;
import io.tributary.projection.ProjectionContext;
import io.tributary.projection.ProjectionErrors;
import io.tributary.projection.ProjectionFailure;
import io.tributary.projection.ProjectionHandler;
import io.tributary.projection.ProjectionSource;
import io.tributary.projection.ProjectionState;
import io.tributary.projection.SideEffect;
import io.tributary.projection.VersionTables;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the source to one read-model version on its own platform thread: read a batch, run the handler and write
 * the checkpoints in one transaction, commit, repeat. The only writer of its version.
 *
 * <p>A worker can be <em>bounded</em> (a rebuild's shadow): it then never applies an event at or past the live
 * version's checkpoint, and tells its {@link Bound} whenever it has reached it. The bound and the replaying flag are
 * changed only on the worker's own thread (inside {@link Bound#reached}), between two batches.
 */
public final class VersionWorker<E> implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(VersionWorker.class);

    /** What keeps a shadow worker behind the live one. Called on the worker's thread. */
    public interface Bound {
        /** The positions the worker may reach but not pass. */
        Map<String, Long> limits();

        /** The worker's positions equal {@link #limits()}; may change the bound or unbind the worker. */
        void reached(VersionWorker<?> worker) throws Exception;
    }

    /**
     * The committed progress as one consistent snapshot: the checkpoint of every source partition and the number of
     * events applied up to it (over all runs of the version).
     */
    public record Progress(Map<String, Long> committed, long events) {
        public Progress {
            committed = Map.copyOf(committed);
        }
    }

    /** Stops the loop without marking the worker failed. */
    private static final class StopSignal extends Exception {
        private static final long serialVersionUID = 1L;

        StopSignal() {
            super(null, null, false, false);
        }
    }

    private final ProjectionSource<E> source;
    private final ProjectionConfig config;
    private final Catalog catalog;
    private final VersionTables tables;
    private final ProjectionHandler<E> handler;
    private final Consumer<VersionWorker<E>> onExit;
    private final ProjectionInstrumentation instrumentation;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final CountDownLatch exited = new CountDownLatch(1);
    private final Thread thread;

    /** The checkpoint positions this worker last committed (or found stored at start); worker thread only. */
    private final Map<String, Long> committedPositions = new HashMap<>();
    private volatile boolean replaying;
    private volatile @Nullable Bound bound;
    private volatile boolean stopRequested;
    private volatile boolean positioned;
    private volatile @Nullable SourceReader<E> reader;
    private volatile Progress progress = new Progress(Map.of(), 0);
    private volatile ProjectionState state = ProjectionState.RUNNING;
    private volatile @Nullable ProjectionFailure failure;

    public VersionWorker(ProjectionSource<E> source, ProjectionConfig config, Catalog catalog, VersionTables tables,
                         ProjectionHandler<E> handler, boolean replaying, @Nullable Bound bound,
                         Consumer<VersionWorker<E>> onExit, ProjectionInstrumentation instrumentation) {
        this.source = source;
        this.config = config;
        this.catalog = catalog;
        this.tables = tables;
        this.handler = handler;
        this.replaying = replaying;
        this.bound = bound;
        this.onExit = onExit;
        this.instrumentation = instrumentation;
        this.thread = new Thread(this, "projection-" + config.name() + "-v" + tables.version());
        this.thread.setDaemon(true);
    }

    /**
     * Starts the thread and waits until the checkpoints are loaded and the source is positioned (so
     * {@link #committed()} is meaningful).
     *
     * @throws RetriableException {@link ProjectionErrors#PROJECTION_START_FAILED} if that failed
     */
    public void start() throws InterruptedException {
        thread.start();
        ready.await();
        ProjectionFailure f = failure;
        if (!positioned && f != null) {
            throw new RetriableException(ProjectionErrors.PROJECTION_START_FAILED, "Projection '" + config.name()
                    + "' version " + version() + " could not start reading its source from checkpoint " + f.from()
                    + ": " + f.cause().getMessage() + ". Fix the source (does the topic or store exist?) and start "
                    + "it again; nothing was applied.", f.cause());
        }
    }

    public int version() {
        return tables.version();
    }

    public VersionTables tables() {
        return tables;
    }

    public ProjectionHandler<E> handler() {
        return handler;
    }

    /** Committed checkpoint positions, for every partition of the source. */
    public Map<String, Long> committed() {
        return progress.committed();
    }

    /** Events this version has applied, over all its runs. */
    public long eventCount() {
        return progress.events();
    }

    /** Checkpoints and event count together. */
    public Progress progress() {
        return progress;
    }

    public ProjectionState state() {
        return state;
    }

    public @Nullable ProjectionFailure failure() {
        return failure;
    }

    public boolean isReplaying() {
        return replaying;
    }

    /** Called from the worker thread inside {@link Bound#reached}: run unbounded, side effects on. */
    public void goLive() {
        bound = null;
        replaying = false;
    }

    /**
     * Stops after the current batch; after {@code timeout} the thread is interrupted and an unfinished batch rolls
     * back. Returns once the thread has exited (or 5 s after the interrupt).
     */
    public void stop(Duration timeout) throws InterruptedException {
        stopRequested = true;
        SourceReader<E> r = reader;
        if (r != null) {
            r.wakeup();
        }
        if (Thread.currentThread() == thread) {
            return;
        }
        if (!exited.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            LOG.warn("Projection '{}' version {} did not finish its batch within {}; interrupting it (the batch "
                    + "rolls back and is applied again on the next start)", config.name(), version(), timeout);
            thread.interrupt();
            if (!exited.await(5, TimeUnit.SECONDS)) {
                LOG.warn("Projection '{}' version {} still runs 5 s after the interrupt; its handler ignores interrupts",
                        config.name(), version());
            }
        }
    }

    public boolean awaitExit(Duration timeout) throws InterruptedException {
        return exited.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try (SourceReader<E> r = Sources.reader(source, "projection-" + config.name() + "-v" + version(),
                config.maxBatchEvents())) {
            reader = r;
            Map<String, Catalog.Checkpoint> stored = catalog.checkpoints(version());
            Map<String, Long> from = new HashMap<>();
            long count = 0;
            for (Map.Entry<String, Catalog.Checkpoint> e : stored.entrySet()) {
                from.put(e.getKey(), e.getValue().position());
                count += e.getValue().events();
            }
            committedPositions.putAll(from);
            Map<String, Long> positions = new HashMap<>(r.seek(from));
            progress = new Progress(positions, count);
            positioned = true;
            ready.countDown();
            if (loop(r, positions)) {
                state = ProjectionState.STOPPED;
            }
        } catch (StopSignal | InterruptedException stop) {
            state = ProjectionState.STOPPED;
        } catch (Throwable t) {
            if (stopRequested) {
                state = ProjectionState.STOPPED;
            } else {
                fail(new ProjectionFailure(config.name(), version(), committed(), 0, 1, t));
            }
        } finally {
            ready.countDown();
            exited.countDown();
            onExit.accept(this);
        }
    }

    /** Runs until stopped (true) or a batch failed its last attempt (false). */
    private boolean loop(SourceReader<E> r, Map<String, Long> positions) throws Exception {
        while (!stopRequested) {
            Bound b = bound;
            if (b != null && r.reached(positions, b.limits())) {
                b.reached(this);
            }
            b = bound;
            SourceReader.Batch<E> batch = r.poll(config.maxBatchEvents(), config.pollTimeout(),
                    b == null ? null : b.limits());
            if (stopRequested) {
                return true;
            }
            instrumentation.polled(batch.events().size(), replaying);
            if (batch.positions().isEmpty()) {
                continue;
            }
            if (!apply(r, batch)) {
                return false;
            }
            positions.putAll(batch.positions());
            progress = new Progress(positions, progress.events() + batch.events().size());
        }
        return true;
    }

    /** One transaction per batch, retried by the policy. False when the last attempt failed. */
    private boolean apply(SourceReader<E> r, SourceReader.Batch<E> batch) throws StopSignal {
        Map<String, Long> counts = new HashMap<>();
        Map<String, Long> lastTimes = new HashMap<>();
        for (E e : batch.events()) {
            String p = r.partitionOf(e);
            counts.merge(p, 1L, Long::sum);
            lastTimes.put(p, r.timestampOf(e));
        }
        RetryPolicy retry = config.retry();
        for (int attempt = 1; ; attempt++) {
            try {
                if (attempt > 1 && alreadyCommitted(batch.positions())) {
                    // The last attempt committed and then failed (closing the connection, or a commit whose reply
                    // was lost): applying it again would apply its events twice.
                    break;
                }
                // If that commit lands only while this attempt runs, the checkpoint's compare-and-set refuses this
                // attempt (CheckpointMoved), which rolls it back and ends the batch as committed below.
                if (batch.events().isEmpty()) {
                    applyOnce(batch.events(), batch.positions(), counts, lastTimes, null);
                } else {
                    boolean replay = replaying;
                    instrumentation.attempt(r, batch.events(), attempt, replay, version(),
                            observed -> applyOnce(batch.events(), batch.positions(), counts, lastTimes, observed));
                }
                break;
            } catch (Throwable t) {
                if (stopRequested || t instanceof InterruptedException) {
                    throw new StopSignal();
                }
                if (t instanceof Catalog.CheckpointMoved && committedElsewhere(batch.positions())) {
                    break;
                }
                if (!retry.shouldRetry(t, attempt)) {
                    fail(new ProjectionFailure(config.name(), version(), committed(), batch.events().size(), attempt,
                            t));
                    return false;
                }
                instrumentation.retrying(replaying);
                Duration delay = retry.delayAfter(attempt);
                LOG.warn("Projection '{}' version {}: batch of {} events failed attempt {} ({}); retrying in {} ms",
                        config.name(), version(), batch.events().size(), attempt, t.toString(), delay.toMillis());
                try {
                    long deadline = System.nanoTime() + delay.toNanos();
                    while (!stopRequested && System.nanoTime() < deadline) {
                        Thread.sleep(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000)));
                    }
                } catch (InterruptedException e) {
                    throw new StopSignal();
                }
                if (stopRequested) {
                    throw new StopSignal();
                }
            }
        }
        committedPositions.putAll(batch.positions());
        // Outside the retried block: the batch is committed, and nothing reporting it may cause it to be applied again.
        instrumentation.applied(counts, replaying);
        return true;
    }

    /** True when the stored checkpoints already cover this batch on every partition it touches. */
    private boolean alreadyCommitted(Map<String, Long> positions) {
        if (positions.isEmpty()) {
            return false;
        }
        Map<String, Catalog.Checkpoint> stored = catalog.checkpoints(version());
        for (Map.Entry<String, Long> e : positions.entrySet()) {
            Catalog.Checkpoint checkpoint = stored.get(e.getKey());
            if (checkpoint == null || checkpoint.position() < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private boolean committedElsewhere(Map<String, Long> positions) {
        try {
            return alreadyCommitted(positions);
        } catch (RuntimeException unreadable) {
            return false; // the retry policy decides, and the next attempt checks again
        }
    }

    private void applyOnce(List<E> events, Map<String, Long> positions, Map<String, Long> counts,
                           Map<String, Long> lastTimes, ProjectionInstrumentation.@Nullable Observed<E> observed)
            throws Exception {
        try (Connection c = catalog.dataSource().getConnection()) {
            c.setAutoCommit(false);
            try {
                if (observed != null) {
                    Context context = new Context(c, observed);
                    observed.handler(() -> handler.apply(events, context));
                }
                catalog.writeCheckpoints(c, version(), positions, committedPositions, counts, lastTimes);
                if (Thread.currentThread().isInterrupted()) {
                    // Stopped while the handler ran: the batch must not commit half-observed.
                    throw new InterruptedException("projection stopped during a batch");
                }
                c.commit();
            } catch (Throwable t) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    t.addSuppressed(suppressed);
                }
                throw t;
            }
        }
    }

    private void fail(ProjectionFailure f) {
        failure = f;
        state = ProjectionState.FAILED;
        LOG.error(f.message(), f.cause());
    }

    private final class Context implements ProjectionContext, EachEvent.EventScope<E> {
        private final Connection connection;
        private final ProjectionInstrumentation.Observed<E> observed;
        private final boolean replay = replaying;

        Context(Connection connection, ProjectionInstrumentation.Observed<E> observed) {
            this.connection = connection;
            this.observed = observed;
        }

        @Override
        public void each(E event, ProjectionInstrumentation.Work work) throws Exception {
            observed.each(event, work);
        }

        @Override
        public String projection() {
            return config.name();
        }

        @Override
        public int version() {
            return tables.version();
        }

        @Override
        public VersionTables tables() {
            return tables;
        }

        @Override
        public Connection connection() {
            return connection;
        }

        @Override
        public boolean isReplaying() {
            return replay;
        }

        @Override
        public void sideEffect(SideEffect effect) throws Exception {
            if (!replay) {
                effect.run();
            }
        }
    }
}
