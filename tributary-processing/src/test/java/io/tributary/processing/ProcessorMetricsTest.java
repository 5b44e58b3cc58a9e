package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.produceToPartition;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The processor's Micrometer meters on the real embedded log: true lag, committed offsets, latency, batches, retries.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessorMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static ProcessorConfig observed(String name, String topic, MeterRegistry registry) {
        return Fixtures.config(name, topic).withTelemetry(ProcessorTelemetry.defaults().withMeterRegistry(registry)
                        .withLagInterval(Duration.ofMillis(10)));
    }

    private static @Nullable Gauge gauge(MeterRegistry r, String name, String group, int partition) {
        return r.find("tributary.processor." + name).tag("group", group).tag("partition", Integer.toString(partition))
                .gauge();
    }

    private static double value(MeterRegistry r, String name, String group, int partition) {
        Gauge g = gauge(r, name, group, partition);
        return g == null ? Double.NaN : g.value();
    }

    @Test
    void lagGaugeIsTheEventsNotYetProcessedAndFallsToZeroWhenCaughtUp() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            produceToPartition(log, "orders", "k", 50);
            Semaphore permits = new Semaphore(0);
            AtomicInteger processed = new AtomicInteger();
            ProcessorConfig cfg = observed("billing", "orders", registry).withConcurrencyPerPartition(1);
            try (Processor p = Processor.start(log, cfg, e -> {
                permits.acquire();
                processed.incrementAndGet();
            })) {
                // Nothing processed: all 50 are lag, and the first is held by the (blocked) handler.
                await("lag gauge = 50", WAIT, () -> value(registry, "lag.events", "billing", 0) == 50);
                permits.release(20);
                await("20 processed", WAIT, () -> processed.get() == 20);
                await("lag gauge = 50 - 20", WAIT, () -> value(registry, "lag.events", "billing", 0) == 30);
                Thread.sleep(60);
                assertThat(value(registry, "lag.seconds", "billing", 0)).as("age of the oldest unprocessed event")
                        .isGreaterThanOrEqualTo(0.05);
                assertThat(value(registry, "buffer.held", "billing", 0)).isEqualTo(30);
                assertThat(value(registry, "buffer.capacity", "billing", 0)).isEqualTo(1000);
                assertThat(value(registry, "buffer.fill", "billing", 0)).isEqualTo(0.03);
                await("committed gauge at the first unprocessed event", WAIT,
                        () -> value(registry, "committed.offset", "billing", 0) == 20);

                permits.release(30);
                await("lag gauge = 0", WAIT, () -> value(registry, "lag.events", "billing", 0) == 0);
                assertThat(value(registry, "lag.seconds", "billing", 0)).isZero();
                await("committed gauge = 50", WAIT, () -> value(registry, "committed.offset", "billing", 0) == 50);
                assertThat(Fixtures.committed(log, "billing", new TopicPartition("orders", 0))).isEqualTo(50);
                assertThat(p.committedOffsets()).containsEntry(new TopicPartition("orders", 0), 50L);

                Timer latency = registry.find("tributary.processor.latency").tag("group", "billing")
                        .tag("outcome", "success").timer();
                assertThat(latency).isNotNull();
                assertThat(latency.count()).isEqualTo(50);
                assertThat(Arrays.stream(latency.takeSnapshot().percentileValues()).map(ValueAtPercentile::percentile))
                        .containsExactly(0.5, 0.99);
                DistributionSummary batch = registry.find("tributary.processor.batch.size").tag("group", "billing")
                        .summary();
                assertThat(batch.count()).isEqualTo(50);
                assertThat(batch.totalAmount()).isEqualTo(50);
                assertThat(registry.find("tributary.processor.events.processed").tag("group", "billing").counter()
                        .count()).isEqualTo(50);

                // New events are lag again until processed.
                produceToPartition(log, "orders", "k", 5);
                await("lag gauge = 5 new events", WAIT, () -> value(registry, "lag.events", "billing", 0) == 5);
                permits.release(5);
                await("lag gauge back to 0", WAIT, () -> value(registry, "lag.events", "billing", 0) == 0);
            }
            assertThat(registry.find("tributary.processor.lag.events").gauges()).as("meters removed on close")
                    .isEmpty();
            assertThat(registry.find("tributary.processor.latency").timers()).isEmpty();
        }
    }

    @Test
    void batchSizeCountsHandlerCallsAndRetriesCountFailedAttemptsThatWillBeRetried() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            produceToPartition(log, "orders", "k", 100);
            AtomicBoolean failedOnce = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = observed("batcher", "orders", registry)
                    .withBatching(10, 1 << 20, Duration.ofMillis(5))
                    .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)));
            try (Processor p = Processor.startBatched(log, cfg, events -> {
                calls.incrementAndGet();
                if (failedOnce.compareAndSet(false, true)) {
                    throw new IllegalStateException("transient");
                }
                handled.addAndGet(events.size());
            })) {
                await("100 handled", WAIT, () -> handled.get() == 100);
                await("lag 0", WAIT, () -> value(registry, "lag.events", "batcher", 0) == 0);
                Counter retries = registry.find("tributary.processor.retries").tag("group", "batcher").counter();
                assertThat(retries.count()).isEqualTo(1);
                Timer failures = registry.find("tributary.processor.latency").tag("group", "batcher")
                        .tag("outcome", "failure").timer();
                assertThat(failures.count()).isEqualTo(1);
                Timer successes = registry.find("tributary.processor.latency").tag("group", "batcher")
                        .tag("outcome", "success").timer();
                DistributionSummary batch = registry.find("tributary.processor.batch.size").tag("group", "batcher")
                        .summary();
                // A retried batch is one call of its size, not two.
                assertThat(batch.count()).isEqualTo(calls.get() - 1).isEqualTo(successes.count());
                assertThat(batch.totalAmount()).isEqualTo(100);
                assertThat(batch.max()).isLessThanOrEqualTo(10);
                assertThat(registry.find("tributary.processor.events.processed").tag("group", "batcher").counter()
                        .count()).isEqualTo(100);
            }
        }
    }

    @Test
    void everyAssignedPartitionHasItsOwnTaggedMeters() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 3);
            List<String> keys = IntStream.range(0, 30).mapToObj(i -> "k" + i).toList();
            produce(log, "orders", keys, 10);
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, observed("tags", "orders", registry),
                    e -> handled.incrementAndGet())) {
                await("300 handled", WAIT, () -> handled.get() == 300);
                for (int partition = 0; partition < 3; partition++) {
                    int part = partition;
                    await("partition " + part + " caught up", WAIT,
                            () -> value(registry, "lag.events", "tags", part) == 0);
                    long end = log.admin().describeGroup("tags").offsets().stream()
                            .filter(l -> l.partition().partition() == part).findFirst().orElseThrow().endOffset();
                    await("partition " + part + " committed to its end", WAIT,
                            () -> value(registry, "committed.offset", "tags", part) == end);
                    assertThat(gauge(registry, "lag.events", "tags", part).getId().getTag("topic"))
                            .isEqualTo("orders");
                }
                double processed = registry.find("tributary.processor.events.processed").tag("group", "tags")
                        .counters().stream().mapToDouble(Counter::count).sum();
                assertThat(processed).isEqualTo(300);
            }
        }
    }

    @Test
    void deadLetterGaugesReportTheProcessorsOpenEntriesAndParkedKeys() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            produceToPartition(log, "orders", "a", 5); // seq 2 is poison: dead, then 3 and 4 parked behind it
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = observed("billing", "orders", registry).withRetry(RetryPolicy.noRetries())
                    .withDeadLetter(DeadLetterPolicy.sequenced().withActionCheckInterval(Duration.ofMillis(10)));
            try (Processor p = Processor.start(log, cfg, e -> {
                if (Fixtures.seq(e) == 2) {
                    throw new IllegalStateException("cannot charge order #2");
                }
                handled.incrementAndGet();
            })) {
                await("one dead and two parked entries", WAIT, () -> p.deadLetterDepth() == 3);
                Gauge depth = registry.get("tributary.processor.dlq.depth").tag("group", "billing").gauge();
                Gauge parked = registry.get("tributary.processor.parked.keys").tag("group", "billing").gauge();
                assertThat(depth.value()).isEqualTo(3);
                assertThat(parked.value()).isEqualTo(1).isEqualTo(p.parkedKeyCount());
                assertThat(handled.get()).isEqualTo(2);
            }
            assertThat(registry.find("tributary.processor.dlq.depth").gauges()).as("removed on close").isEmpty();
        }
    }

    @Test
    void registersNoDeadLetterGaugesWhenTheProcessorStopsOnFailureInstead() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            produceToPartition(log, "orders", "a", 1);
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, observed("billing", "orders", registry)
                    .withDeadLetter(DeadLetterPolicy.stopProcessor()), e -> handled.incrementAndGet())) {
                await("handled", WAIT, () -> handled.get() == 1);
                assertThat(registry.find("tributary.processor.lag.events").gauges()).isNotEmpty();
                assertThat(registry.find("tributary.processor.dlq.depth").gauges()).isEmpty();
                assertThat(registry.find("tributary.processor.parked.keys").gauges()).isEmpty();
            }
        }
    }

    @Test
    void registersNoMetersWithoutARegistry() throws Exception {
        assertThat(ProcessorConfig.of("plain", "orders").telemetry().meterRegistry()).isEmpty();
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            produceToPartition(log, "orders", "k", 3);
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, Fixtures.config("plain", "orders"),
                    e -> handled.incrementAndGet())) {
                await("3 handled", WAIT, () -> handled.get() == 3);
            }
        }
        assertThat(io.micrometer.core.instrument.Metrics.globalRegistry.find("tributary.processor.latency").timers())
                .as("never the global registry").isEmpty();
    }
}
