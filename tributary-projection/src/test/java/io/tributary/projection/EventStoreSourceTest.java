package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.log.EventLog;
import io.tributary.processing.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Projections from the event store's {@code $all} and from a category: the checkpoint is the last position
 * considered, stored with the rows; on the embedded store with an H2 read model, and on the PostgreSQL store with a
 * PostgreSQL read model.
 */
@Timeout(120)
class EventStoreSourceTest {

    @TempDir
    Path dir;

    enum Setup {
        EMBEDDED_STORE_H2(TestDatabase.H2),
        POSTGRES_STORE_POSTGRESQL(TestDatabase.POSTGRESQL);

        final TestDatabase db;

        Setup(TestDatabase db) {
            this.db = db;
        }
    }

    /** A store and what must be closed or dropped with it. */
    private record Store(EventStore store, Cleanup cleanup) implements AutoCloseable {
        @Override
        public void close() throws SQLException {
            store.close();
            cleanup.run();
        }
    }

    @FunctionalInterface
    private interface Cleanup {
        void run() throws SQLException;
    }

    private Store open(Setup setup) {
        if (setup == Setup.EMBEDDED_STORE_H2) {
            EventLog log = Fixtures.openLog(dir.resolve("log"));
            return new Store(EventStores.embedded(log, EmbeddedEventStoreConfig.of(dir.resolve("index"))), log::close);
        }
        setup.db.dataSource(); // skips or fails loudly when PostgreSQL is absent
        String schema = TestDatabase.unique("es");
        EventStore store = EventStores.postgres(PostgresEventStoreConfig.of(TestDatabase.POSTGRESQL.url)
                .withUser("postgres").withSchema(schema));
        return new Store(store, () -> {
            try (Connection c = setup.db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        });
    }

    static ReadModel eventRows(String logical) {
        return ReadModel.of(List.of(logical), (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t.name(logical) + " (event_id VARCHAR(36) NOT NULL, stream VARCHAR(200) "
                        + "NOT NULL, position BIGINT NOT NULL)");
            }
        });
    }

    static ProjectionHandler<RecordedEvent> insertEvents(String logical) {
        return (events, ctx) -> {
            try (PreparedStatement ps = ctx.connection().prepareStatement("INSERT INTO " + ctx.table(logical)
                    + " (event_id, stream, position) VALUES (?, ?, ?)")) {
                for (RecordedEvent e : events) {
                    ps.setString(1, e.eventId().toString());
                    ps.setString(2, e.stream());
                    ps.setLong(3, e.position());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        };
    }

    /** Appends {@code orders} order events and {@code customers} customer events, interleaved; returns the ids. */
    static List<String> append(EventStore store, int orders, int customers) {
        List<String> orderIds = new ArrayList<>();
        for (int i = 0; i < Math.max(orders, customers); i++) {
            if (i < orders) {
                EventData e = EventData.of("OrderPlaced", ("o" + i).getBytes(StandardCharsets.UTF_8));
                store.append("order-" + i % 7, ExpectedVersion.any(), e);
                orderIds.add(e.eventId().toString());
            }
            if (i < customers) {
                store.append("customer-" + i % 3, ExpectedVersion.any(),
                        EventData.of("CustomerSeen", ("c" + i).getBytes(StandardCharsets.UTF_8)));
            }
        }
        return orderIds;
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void aCategoryProjectionAppliesOnlyItsCategoryExactlyOnceAcrossAFailedBatch(Setup setup) throws Exception {
        TestDatabase db = setup.db;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("orders");
        ProjectionConfig config = ProjectionConfig.of("order-rows").withCatalogPrefix(prefix).withMaxBatchEvents(40)
                .withRetry(RetryPolicy.noRetries()).withPollTimeout(Duration.ofMillis(20));
        try (Store s = open(setup)) {
            List<String> orderIds = append(s.store(), 300, 200);
            AtomicInteger seen = new AtomicInteger();
            ProjectionHandler<RecordedEvent> rows = insertEvents(table);
            ProjectionHandler<RecordedEvent> failing = (events, ctx) -> {
                rows.apply(events, ctx);
                if (seen.addAndGet(events.size()) > 150) {
                    throw new IllegalStateException("simulated crash before commit");
                }
            };
            EventStoreSource source = EventStoreSource.category(s.store(), "order");
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), source, eventRows(table), failing,
                    config)) {
                ExactlyOnceTest.awaitState(p, ProjectionState.FAILED);
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).isEqualTo(160 - 40);
            }
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), source, eventRows(table), rows,
                    config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(db.strings("SELECT event_id FROM " + table + "_v1"))
                        .containsExactlyInAnyOrderElementsOf(orderIds);
                assertThat(db.strings("SELECT DISTINCT stream FROM " + table + "_v1")).allMatch(x -> x.startsWith("order-"));
                assertThat(p.checkpoints()).containsOnlyKeys(EventStoreSource.PARTITION);
                assertThat(p.eventsApplied()).isEqualTo(300);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void anAllProjectionAppliesEveryEventInPositionOrderAndKeepsUpWithNewOnes(Setup setup) throws Exception {
        TestDatabase db = setup.db;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("everything");
        ProjectionConfig config = ProjectionConfig.of("all-rows").withCatalogPrefix(prefix).withMaxBatchEvents(64)
                .withPollTimeout(Duration.ofMillis(20));
        try (Store s = open(setup)) {
            append(s.store(), 100, 100);
            List<Long> positions = new java.util.concurrent.CopyOnWriteArrayList<>();
            ProjectionHandler<RecordedEvent> rows = insertEvents(table);
            ProjectionHandler<RecordedEvent> recording = (events, ctx) -> {
                rows.apply(events, ctx);
                events.forEach(e -> positions.add(e.position()));
            };
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.all(s.store()),
                    eventRows(table), recording, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                append(s.store(), 50, 0);
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).isEqualTo(250);
                assertThat(positions).hasSize(250).isSorted().doesNotHaveDuplicates();
                assertThat(p.checkpoints().get(EventStoreSource.PARTITION)).as("the last position considered")
                        .isGreaterThanOrEqualTo(positions.getLast());
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void lagCountsTheEventsAfterTheCommittedCheckpointAndTheAgeOfTheOldest(Setup setup) throws Exception {
        TestDatabase db = setup.db;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("lagging");
        ProjectionConfig config = ProjectionConfig.of("lagging").withCatalogPrefix(prefix)
                .withPollTimeout(Duration.ofMillis(20));
        try (Store s = open(setup)) {
            append(s.store(), 10, 10);
            AtomicBoolean gateClosed = new AtomicBoolean();
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ProjectionHandler<RecordedEvent> rows = insertEvents(table);
            ProjectionHandler<RecordedEvent> gated = (events, ctx) -> {
                if (gateClosed.get()) {
                    entered.countDown();
                    release.await();
                }
                rows.apply(events, ctx);
            };
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.category(s.store(),
                    "order"), eventRows(table), gated, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.lag()).isEqualTo(new ProjectionLag(0, Duration.ZERO, true,
                        java.util.Map.of(EventStoreSource.PARTITION, 0L)));

                gateClosed.set(true);
                long before = System.currentTimeMillis();
                append(s.store(), 25, 40);
                assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
                Thread.sleep(300);
                ProjectionLag lag = p.lag();
                long maxAge = System.currentTimeMillis() - before;
                assertThat(lag.events()).as("the stuck batch is not committed: all 25 order events are behind")
                        .isEqualTo(25);
                assertThat(lag.exact()).isTrue();
                assertThat(lag.time()).isBetween(Duration.ofMillis(300), Duration.ofMillis(maxAge + 50));

                gateClosed.set(false);
                release.countDown();
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.lag().events()).isZero();
                assertThat(p.lag().time()).isEqualTo(Duration.ZERO);
            }

            ProjectionConfig capped = config.withName("capped").withLagCountLimit(10)
                    .withStopTimeout(Duration.ofMillis(100));
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.category(s.store(),
                    "order"), eventRows(table + "c"), (events, ctx) -> new CountDownLatch(1).await(), capped)) {
                ProjectionLag lag = p.lag();
                assertThat(lag.events()).as("counting stops at the limit").isEqualTo(10);
                assertThat(lag.exact()).isFalse();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "c_v1"));
        }
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void lagGaugesCountTheMatchingEventsAfterTheCheckpointAndTheCheckpointGaugeIsTheLastPositionConsidered(
            Setup setup) throws Exception {
        TestDatabase db = setup.db;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("gauged");
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        ProjectionConfig config = ProjectionMetricsTest.observed("gauged", prefix, registry).withMaxBatchEvents(7);
        try (Store s = open(setup)) {
            append(s.store(), 10, 10);
            AtomicBoolean gateClosed = new AtomicBoolean();
            CountDownLatch entered = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            ProjectionHandler<RecordedEvent> rows = insertEvents(table);
            ProjectionHandler<RecordedEvent> gated = (events, ctx) -> {
                if (gateClosed.get()) {
                    entered.countDown();
                    release.await();
                }
                rows.apply(events, ctx);
            };
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.category(s.store(),
                    "order"), eventRows(table), gated, config)) {
                Fixtures.await("10 order events applied, lag sampled as 0", Duration.ofSeconds(30),
                        () -> p.eventsApplied() == 10 && lagEvents(registry) == 0);
                Fixtures.await("checkpoint gauge at the committed $all position", Duration.ofSeconds(30),
                        () -> checkpoint(registry) == p.checkpoints().get(EventStoreSource.PARTITION));
                assertThat(ProjectionMetricsTest.applied(registry, "gauged", "$all", 0)).isEqualTo(10);

                gateClosed.set(true);
                long before = System.currentTimeMillis();
                append(s.store(), 25, 40);
                assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
                double committedBefore = checkpoint(registry);
                Fixtures.await("lag gauge = the 25 order events (customers do not count)", Duration.ofSeconds(30),
                        () -> lagEvents(registry) == 25);
                Thread.sleep(300);
                double age = ProjectionMetricsTest.value(registry, "lag.seconds", "gauged", "$all", 0);
                assertThat(age).as("age of the oldest unapplied order event")
                        .isBetween(0.3, (System.currentTimeMillis() - before) / 1000.0 + 0.05);
                assertThat(checkpoint(registry)).as("the stuck batch committed nothing").isEqualTo(committedBefore);

                gateClosed.set(false);
                release.countDown();
                Fixtures.await("35 applied and lag back to 0", Duration.ofSeconds(30),
                        () -> p.eventsApplied() == 35 && lagEvents(registry) == 0);
                append(s.store(), 8, 3);
                Fixtures.await("the 8 new order events applied; the gauges follow the scan", Duration.ofSeconds(30),
                        () -> p.eventsApplied() == 43 && lagEvents(registry) == 0
                                && ProjectionMetricsTest.applied(registry, "gauged", "$all", 0) == 43);
                assertThat(ProjectionMetricsTest.value(registry, "lag.seconds", "gauged", "$all", 0)).isZero();
                Fixtures.await("checkpoint gauge follows", Duration.ofSeconds(30),
                        () -> checkpoint(registry) == p.checkpoints().get(EventStoreSource.PARTITION));
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    private static double lagEvents(io.micrometer.core.instrument.MeterRegistry registry) {
        return ProjectionMetricsTest.value(registry, "lag.events", "gauged", "$all", 0);
    }

    private static double checkpoint(io.micrometer.core.instrument.MeterRegistry registry) {
        return ProjectionMetricsTest.value(registry, "checkpoint", "gauged", "$all", 0);
    }

    @ParameterizedTest
    @EnumSource(Setup.class)
    void aRebuildFromTheEventStoreSwitchesAtTheLiveCheckpointAndRunsEachSideEffectOnce(Setup setup) throws Exception {
        TestDatabase db = setup.db;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("orders");
        ProjectionConfig config = ProjectionConfig.of("order-rebuild").withCatalogPrefix(prefix).withMaxBatchEvents(10)
                .withPollTimeout(Duration.ofMillis(20));
        List<String> effects = new java.util.concurrent.CopyOnWriteArrayList<>();
        ProjectionHandler<RecordedEvent> rows = insertEvents(table);
        ProjectionHandler<RecordedEvent> withEffects = (events, ctx) -> {
            rows.apply(events, ctx);
            for (RecordedEvent e : events) {
                ctx.sideEffect(() -> effects.add(e.eventId().toString()));
            }
            if (ctx.isReplaying()) {
                Thread.sleep(20);
            }
        };
        try (Store s = open(setup)) {
            List<String> orderIds = new ArrayList<>(append(s.store(), 100, 30));
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.category(s.store(),
                    "order"), eventRows(table), withEffects, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                Rebuild rebuild = p.rebuild();
                orderIds.addAll(append(s.store(), 20, 10));
                assertThat(rebuild.await(Duration.ofSeconds(60))).get().isInstanceOf(RebuildOutcome.Switched.class);
                orderIds.addAll(append(s.store(), 5, 0));
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.liveVersion()).isEqualTo(2);
                assertThat(db.strings("SELECT event_id FROM " + table + "_v2")).containsExactlyInAnyOrderElementsOf(orderIds);
                assertThat(effects).containsExactlyInAnyOrderElementsOf(orderIds);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }
}
