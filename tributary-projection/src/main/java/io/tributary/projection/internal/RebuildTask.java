package io.tributary.projection.internal;

import io.tributary.projection.ProjectionLag;
import io.tributary.projection.ReadModel;
import io.tributary.projection.Rebuild;
import io.tributary.projection.RebuildOutcome;
import io.tributary.projection.RebuildProgress;
import io.tributary.projection.RebuildProgress.Phase;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * One rebuild: the shadow worker's {@link VersionWorker.Bound}. While CATCHING_UP the bound is the live worker's
 * committed checkpoint (read afresh each time), so the shadow never applies an event the live version has not: every
 * replayed event's side effects already happened. When the shadow reaches it, the live worker is stopped between two
 * batches, its final checkpoint becomes the bound (SWITCHING), and when the shadow reaches that too, one transaction
 * swaps the versions and the shadow goes on unbounded as the live worker, side effects on. Thread-safe.
 */
final class RebuildTask<E> implements Rebuild, VersionWorker.Bound {

    private final ProjectionRuntime<E> runtime;
    private final int version;
    private final ReadModel model;
    private final CompletableFuture<RebuildOutcome> outcome = new CompletableFuture<>();
    private final long startNanos = System.nanoTime();
    private volatile Phase phase = Phase.CATCHING_UP;
    private volatile @Nullable Map<String, Long> finalLimits;
    private volatile @Nullable VersionWorker<E> shadow;
    private volatile boolean liveStoppedByUs;
    private volatile boolean cancelling;
    private volatile long doneAtStart;
    private volatile long liveEventsAtSwitch = -1;

    RebuildTask(ProjectionRuntime<E> runtime, int version, ReadModel model) {
        this.runtime = runtime;
        this.version = version;
        this.model = model;
    }

    void started(VersionWorker<E> worker) {
        this.shadow = worker;
        this.doneAtStart = worker.eventCount();
    }

    @Override
    public Map<String, Long> limits() {
        Map<String, Long> f = finalLimits;
        return f != null ? f : runtime.live().committed();
    }

    @Override
    public void reached(VersionWorker<?> worker) throws Exception {
        if (phase == Phase.CATCHING_UP) {
            VersionWorker<E> live = runtime.live();
            liveStoppedByUs = true;
            phase = Phase.SWITCHING;
            live.stop(runtime.config().stopTimeout());
            finalLimits = live.committed();
            liveEventsAtSwitch = live.eventCount();
            return;
        }
        if (phase == Phase.SWITCHING) {
            VersionWorker<E> live = runtime.live();
            runtime.catalog().switchLive(version, live.version());
            worker.goLive();
            @SuppressWarnings("unchecked")
            VersionWorker<E> promoted = (VersionWorker<E>) worker;
            runtime.promote(promoted, model);
            phase = Phase.SWITCHED;
            outcome.complete(new RebuildOutcome.Switched(version, live.version(), worker.eventCount(),
                    Duration.ofNanos(System.nanoTime() - startNanos)));
        }
    }

    /** The shadow worker exited; unless it switched, the rebuild is over and the live worker must run again. */
    void shadowExited(VersionWorker<E> worker) {
        if (phase == Phase.SWITCHED) {
            return;
        }
        if (liveStoppedByUs) {
            runtime.restartLive();
            liveStoppedByUs = false;
        }
        var f = worker.failure();
        if (f != null) {
            phase = Phase.FAILED;
            outcome.complete(new RebuildOutcome.Failed(version, f));
        } else if (!cancelling) {
            phase = Phase.STOPPED;
            outcome.complete(new RebuildOutcome.Interrupted(version));
        }
    }

    /** The projection is closing: stop the shadow and keep its version for a later rebuild to resume. */
    void stopForClose() throws InterruptedException {
        VersionWorker<E> s = shadow;
        if (s != null) {
            s.stop(runtime.config().stopTimeout());
        }
    }

    boolean isDone() {
        return outcome.isDone();
    }

    @Override
    public int version() {
        return version;
    }

    @Override
    public RebuildProgress progress() {
        Phase p = phase;
        if (p == Phase.SWITCHED || p == Phase.FAILED || p == Phase.STOPPED) {
            return progressAgainst(-1);
        }
        VersionWorker<E> live = runtime.live();
        ProjectionLag lag = runtime.lagOf(live.committed(), false);
        return progressAgainst(live.eventCount() + lag.events());
    }

    /**
     * The progress, taking {@code liveTotal} (the live version's events plus its lag, as last measured; -1 if not
     * measured yet) as the events to reach. Reads no source, so the metrics gauges can call it on every scrape.
     */
    RebuildProgress progressAgainst(long liveTotal) {
        VersionWorker<E> s = shadow;
        long done = s == null ? 0 : s.eventCount();
        long total;
        Phase p = phase;
        if (p == Phase.SWITCHED || p == Phase.FAILED || p == Phase.STOPPED) {
            total = Math.max(done, liveEventsAtSwitch);
        } else if (liveTotal >= 0) {
            total = Math.max(done, liveTotal);
        } else {
            total = Math.max(done, runtime.live().eventCount());
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        double rate = seconds <= 0 ? 0 : (done - doneAtStart) / seconds;
        Optional<Duration> eta = rate <= 0 ? Optional.empty()
                : Optional.of(Duration.ofMillis((long) ((total - done) / rate * 1000)));
        if (p == Phase.SWITCHED) {
            eta = Optional.of(Duration.ZERO);
        }
        return new RebuildProgress(version, p, done, total, rate, eta);
    }

    /** Runs {@code action} once the rebuild has an outcome (at once if it has one). */
    void whenDone(Runnable action) {
        outcome.whenComplete((o, e) -> action.run());
    }

    @Override
    public Optional<RebuildOutcome> await(Duration timeout) throws InterruptedException {
        try {
            return Optional.of(outcome.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            return Optional.empty();
        } catch (ExecutionException e) {
            throw new IllegalStateException("rebuild outcome failed", e.getCause());
        }
    }

    @Override
    public void cancel() {
        synchronized (this) {
            if (outcome.isDone()) {
                return;
            }
            cancelling = true;
            VersionWorker<E> s = shadow;
            if (s != null) {
                try {
                    s.stop(runtime.config().stopTimeout());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (phase == Phase.SWITCHED) {
                return; // it switched before the stop took effect; the outcome says so
            }
            phase = Phase.STOPPED;
            runtime.catalog().deleteVersion(version, model.tables());
            outcome.complete(new RebuildOutcome.Cancelled(version));
        }
    }
}
