package io.tributary.processing.internal;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A processor's Micrometer meters, tagged {@code group} (the processor name), {@code topic} and {@code partition};
 * every name, unit and meaning is in {@code docs/metrics.md}. Per-partition meters exist while this instance owns the
 * partition: they are registered when it is assigned and removed when it is revoked (so counters restart at 0 after
 * a partition comes back, as Kafka's client metrics do), and all are removed on {@link #close()}.
 *
 * <p><b>Threads:</b> {@link #sample} runs on the poll loop thread, which owns the consumer and the partition state, and
 * publishes plain values into volatile fields that gauges read from the registry's threads; {@link #attempted} and
 * {@link #retrying} run on handler threads and touch only thread-safe meters. In memory only.
 */
final class ProcessorMetrics {

    private static final Logger LOG = LoggerFactory.getLogger(ProcessorMetrics.class);
    static final String PREFIX = "tributary.processor.";

    private final MeterRegistry registry;
    private final String group;
    private final int capacity;
    private final long lagIntervalNanos;
    private final Map<TopicPartition, PartitionMeters> partitions = new ConcurrentHashMap<>();
    private final List<Meter> groupMeters = new ArrayList<>();
    private long nextLagNanos = System.nanoTime();

    ProcessorMetrics(MeterRegistry registry, String group, int capacity, long lagIntervalNanos,
                     Optional<DeadLetterGauges> deadLetters) {
        this.registry = registry;
        this.group = group;
        this.capacity = capacity;
        this.lagIntervalNanos = lagIntervalNanos;
        deadLetters.ifPresent(d -> {
            groupMeters.add(Gauge.builder(PREFIX + "dlq.depth", d, g -> g.depth())
                    .description("Entries in the processor's dead-letter queue awaiting an operator")
                    .baseUnit("events").tag("group", group).strongReference(true).register(registry));
            groupMeters.add(Gauge.builder(PREFIX + "parked.keys", d, g -> g.parkedKeys())
                    .description("Keys whose later events are parked behind a dead-lettered event")
                    .baseUnit("keys").tag("group", group).strongReference(true).register(registry));
        });
    }

    /**
     * One handler attempt at {@code events} events of {@code partition} took {@code nanos}; when it succeeded it
     * completed {@code completed} of them (fewer when a partial batch handed some again).
     */
    void attempted(TopicPartition partition, int events, int completed, long nanos, boolean succeeded, int attempt) {
        PartitionMeters m = partitions.get(partition);
        if (m == null) {
            return; // revoked while the call ran: its meters are gone and the new owner counts the redelivery
        }
        Timer latency = succeeded ? m.latency : m.failedLatency();
        if (latency != null) {
            latency.record(nanos, TimeUnit.NANOSECONDS);
        }
        if (attempt == 1) {
            m.batchSize.record(events);
        }
        if (succeeded) {
            m.processed.increment(completed);
        }
    }

    /** A failed attempt on {@code partition} will be retried. */
    void retrying(TopicPartition partition) {
        PartitionMeters m = partitions.get(partition);
        if (m != null) {
            m.retries.increment();
        }
    }

    /**
     * Refreshes the gauges from the poll loop's state: registers meters of newly assigned partitions, removes those of
     * revoked ones, publishes buffer fill and committed offsets, and every lag interval asks the log for end offsets.
     */
    void sample(LogConsumer consumer, Collection<PartitionWork> works, Map<TopicPartition, Long> committed) {
        Set<TopicPartition> owned = new HashSet<>();
        for (PartitionWork w : works) {
            owned.add(w.partition);
            PartitionMeters m = partitions.computeIfAbsent(w.partition, PartitionMeters::new);
            m.held = w.held();
            Long c = committed.get(w.partition);
            m.committed = c == null ? Double.NaN : c;
        }
        for (TopicPartition tp : List.copyOf(partitions.keySet())) {
            if (!owned.contains(tp)) {
                partitions.remove(tp).remove();
            }
        }
        long now = System.nanoTime();
        if (works.isEmpty() || now - nextLagNanos < 0) {
            return;
        }
        nextLagNanos = now + lagIntervalNanos;
        Map<TopicPartition, Long> ends;
        try {
            ends = consumer.endOffsets(owned);
        } catch (RuntimeException e) {
            // Lag is reporting, not processing: keep the last values and try again next interval.
            LOG.debug("Processor '{}': could not read end offsets for the lag gauges", group, e);
            return;
        }
        long wallNow = System.currentTimeMillis();
        for (PartitionWork w : works) {
            PartitionMeters m = partitions.get(w.partition);
            Long end = ends.get(w.partition);
            if (m == null || end == null) {
                continue;
            }
            LogRecord oldest = w.oldestUnfinished();
            long progress;
            if (oldest != null) {
                progress = oldest.offset();
            } else {
                try {
                    progress = consumer.position(w.partition);
                } catch (RuntimeException e) {
                    LOG.debug("Processor '{}': no position yet for {}", group, w.partition, e);
                    continue;
                }
            }
            long lag = Math.max(0, end - progress);
            m.lagEvents = lag;
            if (oldest != null) {
                m.oldestUnprocessedMillis = oldest.timestamp();
            } else if (lag == 0) {
                m.oldestUnprocessedMillis = -1;
            } else if (m.oldestUnprocessedMillis < 0) {
                // Behind, but the oldest unprocessed event is not fetched yet, so its timestamp is unknown: count
                // from when the lag was first seen (a lower bound) until it is fetched.
                m.oldestUnprocessedMillis = wallNow;
            }
        }
    }

    /** Removes every meter of this processor from the registry. */
    void close() {
        for (TopicPartition tp : List.copyOf(partitions.keySet())) {
            PartitionMeters m = partitions.remove(tp);
            if (m != null) {
                m.remove();
            }
        }
        groupMeters.forEach(registry::remove);
        groupMeters.clear();
    }

    /** The meters of one owned partition, and the values its gauges read. */
    private final class PartitionMeters {

        final Tags tags;
        final Timer latency;
        final DistributionSummary batchSize;
        final Counter retries;
        final Counter processed;
        final List<Meter> meters = new ArrayList<>();
        private volatile @Nullable Timer failedLatency;
        private boolean removed;
        volatile double lagEvents = Double.NaN;
        volatile long oldestUnprocessedMillis = -1;
        volatile double committed = Double.NaN;
        volatile int held;

        PartitionMeters(TopicPartition tp) {
            tags = Tags.of("group", group, "topic", tp.topic(), "partition", Integer.toString(tp.partition()));
            latency = add(latencyTimer("success"));
            batchSize = add(DistributionSummary.builder(PREFIX + "batch.size")
                    .description("Events per handler call (1 for event handlers)").baseUnit("events").tags(tags)
                    .publishPercentiles(0.5, 0.99).register(registry));
            retries = add(Counter.builder(PREFIX + "retries")
                    .description("Failed handler attempts that will be retried").tags(tags)
                    .register(registry));
            processed = add(Counter.builder(PREFIX + "events.processed")
                    .description("Events whose handler call completed").tags(tags)
                    .register(registry));
            add(Gauge.builder(PREFIX + "lag.events", this, m -> m.lagEvents)
                    .description("Events from the lowest one not yet processed to the end of the partition")
                    .baseUnit("events").tags(tags).register(registry));
            add(Gauge.builder(PREFIX + "lag.seconds", this, PartitionMeters::lagSeconds)
                    .description("Age of the oldest event not yet processed; 0 when caught up")
                    .baseUnit("seconds").tags(tags).register(registry));
            add(Gauge.builder(PREFIX + "committed.offset", this, m -> m.committed)
                    .description("Offset this instance last committed (the next to read)").tags(tags)
                    .register(registry));
            add(Gauge.builder(PREFIX + "buffer.held", this, m -> m.held)
                    .description("Events held: fetched and not yet completed").baseUnit("events").tags(tags)
                    .register(registry));
            add(Gauge.builder(PREFIX + "buffer.capacity", this, m -> capacity)
                    .description("Most events held before fetching pauses").baseUnit("events").tags(tags)
                    .register(registry));
            add(Gauge.builder(PREFIX + "buffer.fill", this, m -> (double) m.held / capacity)
                    .description("held / capacity, from 0 to 1").tags(tags).register(registry));
        }

        private Timer latencyTimer(String outcome) {
            return Timer.builder(PREFIX + "latency")
                    .description("Duration of one handler attempt (an event or a batch)").tags(tags)
                    .tag("outcome", outcome).publishPercentiles(0.5, 0.99).publishPercentileHistogram()
                    .register(registry);
        }

        /** The failure timer, registered on first use; null once the partition's meters were removed. */
        @Nullable Timer failedLatency() {
            Timer t = failedLatency;
            if (t != null) {
                return t;
            }
            synchronized (meters) {
                if (removed) {
                    return null;
                }
                if (failedLatency == null) {
                    failedLatency = add(latencyTimer("failure"));
                }
                return failedLatency;
            }
        }

        double lagSeconds() {
            long oldest = oldestUnprocessedMillis;
            return oldest < 0 ? 0.0 : Math.max(0, System.currentTimeMillis() - oldest) / 1000.0;
        }

        private <M extends Meter> M add(M meter) {
            synchronized (meters) {
                meters.add(meter);
            }
            return meter;
        }

        void remove() {
            synchronized (meters) {
                removed = true;
                meters.forEach(registry::remove);
                meters.clear();
            }
        }
    }
}
