package io.tributary.projection.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tributary.projection.ProjectionConfig;
import io.tributary.projection.ProjectionSource;
import io.tributary.projection.ProjectionState;
import io.tributary.projection.RebuildProgress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A projection's Micrometer meters; every name, unit and meaning is in {@code docs/metrics.md}. Meters describe the
 * projection (tag {@code projection}), not one read-model version, so they survive a rebuild's switch; per source
 * partition they carry {@code topic} and {@code partition} too, and a running rebuild has its own meters tagged with
 * the {@code version} it builds. Batch meters count the live version's work only, never a rebuild's replay.
 *
 * <p><b>Threads:</b> {@link #attempted}, {@link #retrying}, {@link #polled} and {@link #applied} run on the live
 * worker's thread; lag is measured by one sampler thread per projection (started by {@link #start}), which reads the
 * source every {@code lagInterval} through a {@link LagProbe} and publishes plain values into volatile fields that
 * gauges read on the registry's threads. All meters are removed by {@link #close()}. In memory only.
 */
final class ProjectionMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(ProjectionMetrics.class);
    static final String PREFIX = "tributary.projection.";

    private final MeterRegistry registry;
    private final String projection;
    private final int maxBatchEvents;
    private final long lagIntervalNanos;
    private final Tags tags;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<String, PartitionMeters> partitions = new ConcurrentHashMap<>();
    private final Map<RebuildTask<?>, RebuildMeters> rebuilds = new ConcurrentHashMap<>();
    private final Timer latency;
    private final DistributionSummary batchSize;
    private final Counter retries;
    private final Object failureLock = new Object();
    private volatile @Nullable Timer failedLatency;
    private volatile double batchFill;
    private volatile boolean closed;
    private volatile @Nullable Supplier<VersionWorker<?>> live;
    private volatile @Nullable Thread sampler;
    /** The live version's events plus its lag at the last sample: the events a rebuild must reach; -1 until sampled. */
    private volatile long sourceTotal = -1;

    ProjectionMetrics(MeterRegistry registry, ProjectionConfig config) {
        this.registry = registry;
        this.projection = config.name();
        this.maxBatchEvents = config.maxBatchEvents();
        this.lagIntervalNanos = config.telemetry().lagInterval().toNanos();
        this.tags = Tags.of("projection", projection);
        this.latency = add(latencyTimer("success"));
        this.batchSize = add(DistributionSummary.builder(PREFIX + "batch.size")
                .description("Events per batch transaction of the live version").baseUnit("events").tags(tags)
                .publishPercentiles(0.5, 0.99).register(registry));
        this.retries = add(Counter.builder(PREFIX + "retries")
                .description("Failed batch attempts that will be retried").tags(tags).register(registry));
        add(Gauge.builder(PREFIX + "batch.fill", this, m -> m.batchFill)
                .description("Events of the last batch read over maxBatchEvents, from 0 to 1").tags(tags)
                .register(registry));
        add(Gauge.builder(PREFIX + "batch.capacity", this, m -> m.maxBatchEvents)
                .description("Most events per batch (maxBatchEvents)").baseUnit("events").tags(tags)
                .register(registry));
        add(Gauge.builder(PREFIX + "version", this, m -> m.liveValue(w -> w.version()))
                .description("The live read-model version").tags(tags).register(registry));
        add(Gauge.builder(PREFIX + "failed", this, m -> m.liveValue(w -> w.state() == ProjectionState.FAILED ? 1 : 0))
                .description("1 when the live version stopped after a batch failed its last attempt, else 0")
                .tags(tags).register(registry));
    }

    /** Starts the lag sampler for {@code source}; the workers are read through {@code live} (thread-safe). */
    void start(ProjectionSource<?> source, ProjectionConfig config, Supplier<VersionWorker<?>> live) {
        this.live = live;
        Thread t = new Thread(() -> {
            LagProbe probe;
            try {
                probe = Sources.lagProbe(source, "projection-" + projection + "-lag", config.lagCountLimit());
            } catch (RuntimeException e) {
                // Reporting must not stop projecting: the lag gauges stay NaN, everything else works.
                LOG.warn("Projection '{}': could not open the source to measure lag; the lag gauges stay empty",
                        projection, e);
                return;
            }
            sampleLoop(probe);
        }, "projection-" + projection + "-metrics");
        t.setDaemon(true);
        sampler = t;
        t.start();
    }

    private double liveValue(java.util.function.ToDoubleFunction<VersionWorker<?>> f) {
        Supplier<VersionWorker<?>> l = live;
        return l == null ? Double.NaN : f.applyAsDouble(l.get());
    }

    private void sampleLoop(LagProbe probe) {
        try (probe) {
            while (!closed) {
                sample(probe);
                LockSupport.parkNanos(lagIntervalNanos);
            }
        } catch (RuntimeException e) {
            LOG.warn("Projection '{}': the lag sampler stopped; the lag gauges keep their last values", projection, e);
        }
    }

    /** One lag sample: registers meters of partitions not seen yet and publishes each partition's lag. */
    private void sample(LagProbe probe) {
        Supplier<VersionWorker<?>> l = live;
        if (l == null) {
            return;
        }
        VersionWorker<?> worker = l.get();
        VersionWorker.Progress progress = worker.progress();
        if (progress.committed().isEmpty()) {
            return; // not positioned yet
        }
        for (String p : progress.committed().keySet()) {
            partition(p);
        }
        Map<String, LagProbe.PartitionLag> lags;
        try {
            lags = probe.sample(worker, progress.committed(), progress.events());
        } catch (RuntimeException e) {
            // Lag is reporting, not projecting: keep the last values and try again next interval.
            LOG.debug("Projection '{}': could not measure the lag", projection, e);
            return;
        }
        long total = 0;
        for (Map.Entry<String, LagProbe.PartitionLag> e : lags.entrySet()) {
            PartitionMeters m = partition(e.getKey());
            LagProbe.PartitionLag lag = e.getValue();
            m.lagEvents = lag.events();
            m.oldestMillis = lag.events() == 0 ? -1 : lag.oldestMillis();
            total += lag.events();
        }
        sourceTotal = progress.events() + total;
    }

    private PartitionMeters partition(String sourcePartition) {
        return partitions.computeIfAbsent(sourcePartition, PartitionMeters::new);
    }

    /** One batch transaction attempt of the live version took {@code nanos}. */
    void attempted(int events, long nanos, boolean succeeded, int attempt) {
        Timer t = succeeded ? latency : failedLatency();
        if (t != null) {
            t.record(nanos, TimeUnit.NANOSECONDS);
        }
        if (attempt == 1) {
            batchSize.record(events);
        }
    }

    /** The live version committed a batch holding {@code counts} events per source partition. */
    void applied(Map<String, Long> counts) {
        if (closed) {
            return;
        }
        counts.forEach((p, n) -> partition(p).applied.increment(n));
    }

    /** A failed attempt of the live version will be retried. */
    void retrying() {
        retries.increment();
    }

    /** The live worker read a batch of {@code events} (0 for an empty read). */
    void polled(int events) {
        batchFill = (double) events / maxBatchEvents;
    }

    private @Nullable Timer failedLatency() {
        Timer t = failedLatency;
        if (t != null) {
            return t;
        }
        synchronized (failureLock) {
            if (closed) {
                return null;
            }
            if (failedLatency == null) {
                failedLatency = add(latencyTimer("failure"));
            }
            return failedLatency;
        }
    }

    private Timer latencyTimer(String outcome) {
        return Timer.builder(PREFIX + "latency")
                .description("Duration of one batch transaction attempt: handler, checkpoint, commit").tags(tags)
                .tag("outcome", outcome).publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                .register(registry);
    }

    /** Registers the gauges of a running rebuild; they are removed when it ends. */
    void rebuildStarted(RebuildTask<?> task) {
        if (closed) {
            return;
        }
        RebuildMeters m = new RebuildMeters(task);
        rebuilds.put(task, m);
        task.whenDone(() -> {
            RebuildMeters r = rebuilds.remove(task);
            if (r != null) {
                r.remove();
            }
        });
    }

    /** Stops the sampler and removes every meter of this projection. */
    void close() {
        synchronized (failureLock) {
            closed = true;
        }
        Thread t = sampler;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                t.join(TimeUnit.SECONDS.toMillis(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (meters) {
            meters.forEach(registry::remove);
            meters.clear();
        }
        for (String p : List.copyOf(partitions.keySet())) {
            PartitionMeters m = partitions.remove(p);
            if (m != null) {
                m.remove();
            }
        }
        for (RebuildTask<?> task : List.copyOf(rebuilds.keySet())) {
            RebuildMeters m = rebuilds.remove(task);
            if (m != null) {
                m.remove();
            }
        }
    }

    private <M extends Meter> M add(M meter) {
        synchronized (meters) {
            meters.add(meter);
        }
        return meter;
    }

    /** The meters of one source partition, and the values its gauges read. */
    private final class PartitionMeters {

        final String name;
        final Counter applied;
        final List<Meter> own = new ArrayList<>();
        volatile double lagEvents = Double.NaN;
        volatile long oldestMillis = -1;

        PartitionMeters(String sourcePartition) {
            this.name = sourcePartition;
            Tags t = PartitionTags.of(projection, sourcePartition);
            applied = Counter.builder(PREFIX + "events.applied")
                    .description("Events the live version committed to its read model").baseUnit("events").tags(t)
                    .register(registry);
            own.add(applied);
            own.add(Gauge.builder(PREFIX + "lag.events", this, m -> m.lagEvents)
                    .description("Events in the source after the committed checkpoint").baseUnit("events").tags(t)
                    .register(registry));
            own.add(Gauge.builder(PREFIX + "lag.seconds", this, PartitionMeters::lagSeconds)
                    .description("Age of the oldest event not yet applied; 0 when caught up").baseUnit("seconds")
                    .tags(t).register(registry));
            own.add(Gauge.builder(PREFIX + "checkpoint", this, PartitionMeters::checkpoint)
                    .description("The live version's committed checkpoint (next offset, or last $all position)")
                    .tags(t).register(registry));
        }

        double lagSeconds() {
            long oldest = oldestMillis;
            return oldest < 0 ? 0.0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
        }

        double checkpoint() {
            Supplier<VersionWorker<?>> l = live;
            Long p = l == null ? null : l.get().committed().get(name);
            return p == null ? Double.NaN : p;
        }

        void remove() {
            own.forEach(registry::remove);
        }
    }

    /** The gauges of one rebuild, tagged with the version it builds; they read the task's progress when scraped. */
    private final class RebuildMeters {

        final List<Meter> own = new ArrayList<>();
        final RebuildTask<?> task;

        RebuildMeters(RebuildTask<?> task) {
            this.task = task;
            Tags t = tags.and("version", Integer.toString(task.version()));
            own.add(Gauge.builder(PREFIX + "rebuild.events.done", this, m -> m.progress().eventsDone())
                    .description("Events the rebuild applied to the new version").baseUnit("events").tags(t)
                    .register(registry));
            own.add(Gauge.builder(PREFIX + "rebuild.events.total", this, m -> m.progress().eventsTotal())
                    .description("Events the new version must apply to catch up with the live one")
                    .baseUnit("events").tags(t).register(registry));
            own.add(Gauge.builder(PREFIX + "rebuild.progress", this, m -> m.progress().fraction())
                    .description("events.done / events.total, from 0 to 1").tags(t).register(registry));
            own.add(Gauge.builder(PREFIX + "rebuild.rate", this, m -> m.progress().eventsPerSecond())
                    .description("Events per second the rebuild applies").baseUnit("events").tags(t)
                    .register(registry));
            own.add(Gauge.builder(PREFIX + "rebuild.eta.seconds", this, m -> m.progress().eta()
                            .map(d -> d.toNanos() / 1e9).orElse(Double.NaN))
                    .description("Time left at the current rate; NaN until the rate is known").baseUnit("seconds")
                    .tags(t).register(registry));
        }

        RebuildProgress progress() {
            return task.progressAgainst(sourceTotal);
        }

        void remove() {
            own.forEach(registry::remove);
        }
    }
}
