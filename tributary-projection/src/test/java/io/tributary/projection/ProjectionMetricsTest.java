package io.tributary.projection;

import static io.tributary.projection.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.processing.ProcessorTelemetry;
import io.tributary.processing.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A projection's Micrometer meters on a real embedded log and an H2 read model: the lag, checkpoint and applied
 * counters after a known number of events, batch latency and size, retries, the failed gauge, and the rebuild's
 * progress gauges. The event-store source's lag gauges are in {@link EventStoreSourceTest}.
 */
@Timeout(120)
class ProjectionMetricsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** The topic every test here projects; unique per test so that a shared broker can run them. */
    final String topic = TestDatabase.unique("orders");

    /** The log the tests run on: the embedded engine here, Kafka in {@link KafkaProjectionMetricsTest}. */
    EventLog openLog() {
        return Fixtures.openLog(dir);
    }

    static ProjectionConfig observed(String name, String prefix, MeterRegistry registry) {
        return ProjectionConfig.of(name).withCatalogPrefix(prefix).withPollTimeout(Duration.ofMillis(20))
                .withTelemetry(ProcessorTelemetry.defaults().withMeterRegistry(registry)
                        .withLagInterval(Duration.ofMillis(10)));
    }

    static @Nullable Gauge gauge(MeterRegistry r, String name, String projection, String topic, int partition) {
        return r.find("tributary.projection." + name).tag("projection", projection).tag("topic", topic)
                .tag("partition", Integer.toString(partition)).gauge();
    }

    static double value(MeterRegistry r, String name, String projection, String topic, int partition) {
        Gauge g = gauge(r, name, projection, topic, partition);
        return g == null ? Double.NaN : g.value();
    }

    static double applied(MeterRegistry r, String projection, String topic, int partition) {
        Counter c = r.find("tributary.projection.events.applied").tag("projection", projection).tag("topic", topic)
                .tag("partition", Integer.toString(partition)).counter();
        return c == null ? Double.NaN : c.count();
    }

    static double projectionGauge(MeterRegistry r, String name, String projection) {
        Gauge g = r.find("tributary.projection." + name).tag("projection", projection).gauge();
        return g == null ? Double.NaN : g.value();
    }

    @Test
    void lagCheckpointAndAppliedMetersReportTheTruthPerPartitionWhileABatchIsStuckAndAfter() throws Exception {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog(); LogProducer producer = log.producer()) {
            Fixtures.createTopic(log, topic, 2);
            for (int i = 0; i < 10; i++) {
                producer.append(topic, 0, Record.of(null, ("a" + i).getBytes(StandardCharsets.UTF_8)));
            }
            for (int i = 0; i < 4; i++) {
                producer.append(topic, 1, Record.of(null, ("b" + i).getBytes(StandardCharsets.UTF_8)));
            }
            producer.flush();
            AtomicBoolean gateClosed = new AtomicBoolean();
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> gated = (events, ctx) -> {
                if (gateClosed.get()) {
                    entered.countDown();
                    release.await();
                }
                rows.apply(events, ctx);
            };
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, topic),
                    Fixtures.rowsPerEvent(table), gated, observed("lagging", prefix, registry))) {
                await("14 events applied and the lag sampled as 0", WAIT,
                        () -> value(registry, "lag.events", "lagging", topic, 0) == 0
                                && value(registry, "lag.events", "lagging", topic, 1) == 0
                                && p.eventsApplied() == 14);
                assertThat(value(registry, "checkpoint", "lagging", topic, 0)).isEqualTo(10);
                assertThat(value(registry, "checkpoint", "lagging", topic, 1)).isEqualTo(4);
                assertThat(applied(registry, "lagging", topic, 0)).isEqualTo(10);
                assertThat(applied(registry, "lagging", topic, 1)).isEqualTo(4);
                assertThat(value(registry, "lag.seconds", "lagging", topic, 0)).isZero();

                gateClosed.set(true);
                long minuteAgo = System.currentTimeMillis() - 60_000;
                for (int i = 0; i < 7; i++) {
                    producer.append(topic, 0, new Record(null, ("old" + i).getBytes(StandardCharsets.UTF_8),
                            Headers.empty(), minuteAgo + i));
                }
                for (int i = 0; i < 5; i++) {
                    producer.append(topic, 1, Record.of(null, ("new" + i).getBytes(StandardCharsets.UTF_8)));
                }
                producer.flush();
                assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
                await("lag gauges = the 7 and 5 records the stuck batch has not committed", WAIT,
                        () -> value(registry, "lag.events", "lagging", topic, 0) == 7
                                && value(registry, "lag.events", "lagging", topic, 1) == 5);
                assertThat(value(registry, "lag.seconds", "lagging", topic, 0))
                        .as("the oldest unapplied record of partition 0 is a minute old").isBetween(60.0, 70.0);
                assertThat(value(registry, "lag.seconds", "lagging", topic, 1)).isBetween(0.0, 10.0);
                assertThat(value(registry, "checkpoint", "lagging", topic, 0)).as("nothing new committed")
                        .isEqualTo(10);
                assertThat(value(registry, "checkpoint", "lagging", topic, 1)).isEqualTo(4);
                assertThat(applied(registry, "lagging", topic, 0)).isEqualTo(10);
                assertThat(p.lag().events()).as("the gauges agree with lag()").isEqualTo(12);

                gateClosed.set(false);
                release.countDown();
                await("lag gauges back to 0", WAIT,
                        () -> value(registry, "lag.events", "lagging", topic, 0) == 0
                                && value(registry, "lag.events", "lagging", topic, 1) == 0);
                await("checkpoints at the ends", WAIT,
                        () -> value(registry, "checkpoint", "lagging", topic, 0) == 17
                                && value(registry, "checkpoint", "lagging", topic, 1) == 9);
                assertThat(value(registry, "lag.seconds", "lagging", topic, 0)).isZero();
                assertThat(applied(registry, "lagging", topic, 0)).isEqualTo(17);
                assertThat(applied(registry, "lagging", topic, 1)).isEqualTo(9);
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).isEqualTo(26);

                Timer latency = registry.find("tributary.projection.latency").tag("projection", "lagging")
                        .tag("outcome", "success").timer();
                DistributionSummary batches = registry.find("tributary.projection.batch.size")
                        .tag("projection", "lagging").summary();
                assertThat(batches.totalAmount()).as("every event in exactly one batch").isEqualTo(26);
                assertThat(latency.count()).as("one transaction per batch").isEqualTo(batches.count());
                assertThat(Arrays.stream(latency.takeSnapshot().percentileValues()).map(ValueAtPercentile::percentile))
                        .containsExactly(0.5, 0.99);
                assertThat(projectionGauge(registry, "version", "lagging")).isEqualTo(1);
                assertThat(projectionGauge(registry, "failed", "lagging")).isZero();
                assertThat(projectionGauge(registry, "batch.capacity", "lagging")).isEqualTo(500);
                assertThat(projectionGauge(registry, "batch.fill", "lagging")).isBetween(0.0, 1.0);
            }
            assertThat(registry.getMeters()).as("every meter is removed when the projection closes").isEmpty();
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    @Test
    void retriesCountFailedAttemptsAndTheFailedGaugeShowsAProjectionThatGaveUp() throws Exception {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog()) {
            Fixtures.createTopic(log, topic, 1);
            Fixtures.produce(log, topic, 0, 30);
            AtomicInteger failures = new AtomicInteger();
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> flaky = (events, ctx) -> {
                rows.apply(events, ctx);
                if (failures.getAndIncrement() < 2) {
                    throw new IllegalStateException("database briefly down");
                }
            };
            ProjectionConfig config = observed("flaky", prefix, registry).withMaxBatchEvents(10)
                    .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)));
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, topic),
                    Fixtures.rowsPerEvent(table), flaky, config)) {
                assertThat(p.awaitCaughtUp(WAIT)).isTrue();
                assertThat(registry.find("tributary.projection.retries").tag("projection", "flaky").counter()
                        .count()).isEqualTo(2);
                assertThat(registry.find("tributary.projection.latency").tag("projection", "flaky")
                        .tag("outcome", "failure").timer().count()).isEqualTo(2);
                DistributionSummary batches = registry.find("tributary.projection.batch.size")
                        .tag("projection", "flaky").summary();
                assertThat(batches.totalAmount()).as("a retried batch is counted once").isEqualTo(30);
                assertThat(batches.max()).isLessThanOrEqualTo(10);
                assertThat(applied(registry, "flaky", topic, 0)).isEqualTo(30);
                assertThat(projectionGauge(registry, "failed", "flaky")).isZero();
            }

            ProjectionConfig giveUp = observed("broken", prefix, registry).withRetry(RetryPolicy.noRetries());
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, topic),
                    Fixtures.rowsPerEvent(table + "b"), (events, ctx) -> {
                        throw new IllegalStateException("bad deployment");
                    }, giveUp)) {
                ExactlyOnceTest.awaitState(p, ProjectionState.FAILED);
                assertThat(projectionGauge(registry, "failed", "broken")).isEqualTo(1);
                await("lag of a failed projection is still reported", WAIT,
                        () -> value(registry, "lag.events", "broken", topic, 0) == 30);
                assertThat(registry.find("tributary.projection.retries").tag("projection", "broken").counter()
                        .count()).isZero();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "b_v1"));
        }
    }

    @Test
    void rebuildGaugesReportProgressAndEtaWhileItRunsAndAreRemovedWhenItSwitches() throws Exception {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = openLog()) {
            Fixtures.createTopic(log, topic, 1);
            Fixtures.produce(log, topic, 0, 200);
            CountDownLatch slow = new CountDownLatch(1);
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> slowReplay = (events, ctx) -> {
                rows.apply(events, ctx);
                if (ctx.isReplaying()) {
                    slow.await(30, TimeUnit.MILLISECONDS); // 10 events per 30 ms: the rebuild takes about 0.6 s
                }
            };
            ProjectionConfig config = observed("rebuilt", prefix, registry).withMaxBatchEvents(10);
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, topic),
                    Fixtures.rowsPerEvent(table), slowReplay, config)) {
                assertThat(p.awaitCaughtUp(WAIT)).isTrue();
                Rebuild rebuild = p.rebuild();
                await("rebuild gauges show it half-way", WAIT, () -> {
                    double done = rebuildGauge(registry, "events.done");
                    return done >= 20 && done <= 180;
                });
                assertThat(rebuildGauge(registry, "events.total")).isEqualTo(200);
                double progress = rebuildGauge(registry, "progress");
                assertThat(progress).isGreaterThan(0.0).isLessThan(1.0);
                assertThat(rebuildGauge(registry, "rate")).isPositive();
                assertThat(rebuildGauge(registry, "eta.seconds")).as("about (200 - done) / rate")
                        .isPositive().isLessThan(60.0);
                assertThat(registry.find("tributary.projection.rebuild.progress").gauge().getId().getTag("version"))
                        .isEqualTo("2");
                assertThat(rebuild.await(WAIT)).get().isInstanceOf(RebuildOutcome.Switched.class);
                await("rebuild gauges removed", WAIT,
                        () -> registry.find("tributary.projection.rebuild.progress").gauges().isEmpty());
                assertThat(projectionGauge(registry, "version", "rebuilt")).isEqualTo(2);
                Fixtures.produce(log, topic, 200, 5);
                await("the new live version's events count in the same meters", WAIT,
                        () -> applied(registry, "rebuilt", topic, 0) == 205);
                assertThat(registry.find("tributary.projection.batch.size").tag("projection", "rebuilt").summary()
                        .totalAmount()).as("the replay is not counted as live work").isEqualTo(205);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }

    @Test
    void aRegistryThatThrowsNeverMakesACommittedBatchApplyAgain() throws Exception {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        // Timers and counters throw when recorded, as a broken registry or exporter might.
        SimpleMeterRegistry broken = new SimpleMeterRegistry() {
            @Override
            protected Timer newTimer(io.micrometer.core.instrument.Meter.Id id,
                                     io.micrometer.core.instrument.distribution.DistributionStatisticConfig config,
                                     io.micrometer.core.instrument.distribution.pause.PauseDetector pauses) {
                return new io.micrometer.core.instrument.cumulative.CumulativeTimer(id, clock, config, pauses,
                        TimeUnit.SECONDS, false) {
                    @Override
                    protected void recordNonNegative(long amount, TimeUnit unit) {
                        throw new IllegalStateException("registry broken");
                    }
                };
            }

            @Override
            protected Counter newCounter(io.micrometer.core.instrument.Meter.Id id) {
                return new io.micrometer.core.instrument.cumulative.CumulativeCounter(id) {
                    @Override
                    public void increment(double amount) {
                        throw new IllegalStateException("registry broken");
                    }
                };
            }
        };
        try (EventLog log = openLog()) {
            Fixtures.createTopic(log, topic, 1);
            Fixtures.produce(log, topic, 0, 30);
            ProjectionConfig config = observed("reported", prefix, broken).withMaxBatchEvents(10);
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, topic),
                    Fixtures.rowsPerEvent(table), Fixtures.insertRows(table), config)) {
                assertThat(p.awaitCaughtUp(WAIT)).isTrue();
                assertThat(p.state()).isEqualTo(ProjectionState.RUNNING);
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).as("each event's row exactly once")
                        .isEqualTo(30);
                await("the gauges still work", WAIT,
                        () -> value(broken, "checkpoint", "reported", topic, 0) == 30
                                && value(broken, "lag.events", "reported", topic, 0) == 0);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    private static double rebuildGauge(MeterRegistry r, String name) {
        Gauge g = r.find("tributary.projection.rebuild." + name).tag("projection", "rebuilt").gauge();
        return g == null ? Double.NaN : g.value();
    }
}
