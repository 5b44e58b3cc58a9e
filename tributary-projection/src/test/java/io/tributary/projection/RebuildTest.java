package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A rebuild fills shadow tables while the live version serves and advances, then switches in one transaction:
 * readers resolving the live table never see an empty or half-built one, and each event's side effect happens once.
 */
@Timeout(180)
class RebuildTest {

    @TempDir
    Path dir;

    /** Inserts one row per event, and records a side effect per event unless replaying. Slow on purpose. */
    static ProjectionHandler<LogRecord> rowsWithEffects(String table, List<String> effects, long sleepMillisPerBatch) {
        ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
        return (events, ctx) -> {
            rows.apply(events, ctx);
            for (LogRecord r : events) {
                String event = new String(r.value(), StandardCharsets.UTF_8);
                ctx.sideEffect(() -> effects.add(event));
            }
            if (sleepMillisPerBatch > 0) {
                Thread.sleep(sleepMillisPerBatch);
            }
        };
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void rebuildSwitchesAtomicallyWhileReadersKeepReadingACompleteTable(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        String name = "rebuilt";
        ProjectionConfig config = ProjectionConfig.of(name).withCatalogPrefix(prefix).withMaxBatchEvents(50);
        List<String> effects = new CopyOnWriteArrayList<>();
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 3);
            Fixtures.produce(log, "orders", 0, 3000);
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 0), config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
                assertThat(p.liveTable(table)).isEqualTo(table + "_v1");

                AtomicBoolean stop = new AtomicBoolean();
                List<Throwable> readerErrors = new CopyOnWriteArrayList<>();
                Set<Integer> versionsSeen = ConcurrentHashMap.newKeySet();
                AtomicLong reads = new AtomicLong();
                List<Thread> readers = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    readers.add(Thread.ofPlatform().start(() -> read(db.dataSource(), prefix, name, table, stop,
                            versionsSeen, reads, readerErrors)));
                }
                Thread producer = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 20; i++) {
                        Fixtures.produce(log, "orders", 3000 + i * 100, 100);
                        try {
                            Thread.sleep(25);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });

                Rebuild rebuild = p.rebuild(Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 3));
                assertThat(rebuild.version()).isEqualTo(2);
                assertThatThrownBy(p::rebuild).isInstanceOf(ConflictException.class)
                        .hasMessageContaining("already rebuilding version 2");
                List<RebuildProgress> progress = new ArrayList<>();
                while (rebuild.await(Duration.ofMillis(100)).isEmpty()) {
                    progress.add(rebuild.progress());
                }
                RebuildOutcome outcome = rebuild.await(Duration.ZERO).orElseThrow();
                assertThat(outcome).isInstanceOfSatisfying(RebuildOutcome.Switched.class, s -> {
                    assertThat(s.version()).isEqualTo(2);
                    assertThat(s.retired()).isEqualTo(1);
                });
                assertThat(progress).as("progress while catching up").anySatisfy(pr -> {
                    assertThat(pr.phase()).isEqualTo(RebuildProgress.Phase.CATCHING_UP);
                    assertThat(pr.eventsDone()).isPositive().isLessThan(pr.eventsTotal());
                    assertThat(pr.eventsTotal()).isGreaterThanOrEqualTo(3000);
                    assertThat(pr.eventsPerSecond()).isPositive();
                    assertThat(pr.eta()).isPresent();
                });
                assertThat(rebuild.progress().phase()).isEqualTo(RebuildProgress.Phase.SWITCHED);

                producer.join();
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
                Thread.sleep(200);
                stop.set(true);
                for (Thread r : readers) {
                    r.join();
                }
                assertThat(readerErrors).isEmpty();
                assertThat(versionsSeen).containsExactlyInAnyOrder(1, 2);
                assertThat(reads.get()).isGreaterThan(10);

                assertThat(p.liveVersion()).isEqualTo(2);
                assertThat(p.liveTable(table)).isEqualTo(table + "_v2");
                ExactlyOnceTest.assertExactlyOnce(db, table + "_v2", 5000);
                List<String> expected = new ArrayList<>();
                for (int i = 0; i < 5000; i++) {
                    expected.add("e" + i);
                }
                assertThat(effects).as("each side effect once: by v1 before the switch, by v2 after, never replayed")
                        .containsExactlyInAnyOrderElementsOf(expected);

                assertThat(p.dropRetiredVersions()).containsExactly(1);
                assertThat(tableExists(db, table + "_v1")).isFalse();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }

    /**
     * A reader: resolve the live table, count it. Counts never go down (a half-built shadow would be smaller than the
     * live table it replaced) and never fall below the 3000 events the first version held before the rebuild.
     */
    private static void read(DataSource ds, String prefix, String name, String table, AtomicBoolean stop,
                             Set<Integer> versionsSeen, AtomicLong reads, List<Throwable> errors) {
        long last = 0;
        try (Connection c = ds.getConnection()) {
            while (!stop.get()) {
                VersionTables live = ReadModels.live(c, prefix, name);
                long count;
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + live.name(table))) {
                    rs.next();
                    count = rs.getLong(1);
                }
                if (count < 3000 || count < last) {
                    throw new AssertionError("reader saw " + count + " rows in version " + live.version()
                            + " after having seen " + last);
                }
                last = count;
                versionsSeen.add(live.version());
                reads.incrementAndGet();
            }
        } catch (Throwable t) {
            errors.add(t);
        }
    }

    private static boolean tableExists(TestDatabase db, String physical) {
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.executeQuery("SELECT COUNT(*) FROM " + physical).close();
            return true;
        } catch (java.sql.SQLException e) {
            return false;
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aCancelledRebuildDropsItsTablesAndTheLiveVersionGoesOn(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("cancelled").withCatalogPrefix(prefix).withMaxBatchEvents(20);
        List<String> effects = Collections.synchronizedList(new ArrayList<>());
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 1000);
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 0), config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                Rebuild rebuild = p.rebuild(Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 20));
                Thread.sleep(200);
                rebuild.cancel();
                assertThat(rebuild.await(Duration.ofSeconds(5))).contains(new RebuildOutcome.Cancelled(2));
                assertThat(tableExists(db, table + "_v2")).isFalse();

                Fixtures.produce(log, "orders", 1000, 100);
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.liveVersion()).isEqualTo(1);
                ExactlyOnceTest.assertExactlyOnce(db, table + "_v1", 1100);
                assertThat(effects).hasSize(1100).doesNotHaveDuplicates();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aRebuildInterruptedByCloseResumesFromItsOwnCheckpointOnTheNextRebuild(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("resumed").withCatalogPrefix(prefix).withMaxBatchEvents(20);
        List<String> effects = Collections.synchronizedList(new ArrayList<>());
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 1000);
            // Closed explicitly in the middle of the rebuild, which is what this test is about.
            Projection<LogRecord> first = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 0), config);
            assertThat(first.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            Rebuild interrupted = first.rebuild(Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 20));
            while (interrupted.progress().eventsDone() < 100) {
                Thread.sleep(10);
            }
            first.close();
            assertThat(interrupted.await(Duration.ofSeconds(5))).contains(new RebuildOutcome.Interrupted(2));
            long doneBeforeClose = interrupted.progress().eventsDone();
            assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v2")).isEqualTo(doneBeforeClose);

            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 0), config)) {
                Rebuild rebuild = p.rebuild();
                assertThat(rebuild.version()).as("the unfinished version is resumed").isEqualTo(2);
                assertThat(rebuild.progress().eventsDone()).isGreaterThanOrEqualTo(doneBeforeClose);
                assertThat(rebuild.await(Duration.ofSeconds(60))).get().isInstanceOf(RebuildOutcome.Switched.class);
                ExactlyOnceTest.assertExactlyOnce(db, table + "_v2", 1000);
                assertThat(effects).hasSize(1000).doesNotHaveDuplicates();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }

    @ParameterizedTest
    @EnumSource(value = TestDatabase.class, names = {"H2", "POSTGRESQL"})
    void aRebuildWhoseHandlerFailsLeavesTheLiveVersionServingAndAdvancing(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("failed-rebuild").withCatalogPrefix(prefix)
                .withMaxBatchEvents(50).withRetry(io.tributary.processing.RetryPolicy.noRetries());
        List<String> effects = new CopyOnWriteArrayList<>();
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 600);
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rowsWithEffects(table, effects, 0), config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
                AtomicLong replayed = new AtomicLong();
                Rebuild rebuild = p.rebuild(Fixtures.rowsPerEvent(table), (events, ctx) -> {
                    rows.apply(events, ctx);
                    if (replayed.addAndGet(events.size()) > 300) {
                        throw new IllegalStateException("new handler has a bug");
                    }
                });
                RebuildOutcome outcome = rebuild.await(Duration.ofSeconds(30)).orElseThrow();
                assertThat(outcome).isInstanceOfSatisfying(RebuildOutcome.Failed.class, f -> {
                    assertThat(f.version()).isEqualTo(2);
                    assertThat(f.failure().cause()).hasMessage("new handler has a bug");
                    assertThat(f.failure().message()).contains("failed-rebuild", "version 2");
                });
                assertThat(rebuild.progress().phase()).isEqualTo(RebuildProgress.Phase.FAILED);

                Fixtures.produce(log, "orders", 600, 100);
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(p.state()).isEqualTo(ProjectionState.RUNNING);
                assertThat(p.liveVersion()).isEqualTo(1);
                ExactlyOnceTest.assertExactlyOnce(db, table + "_v1", 700);
                assertThat(effects).hasSize(700).doesNotHaveDuplicates();
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1", table + "_v2"));
        }
    }
}
