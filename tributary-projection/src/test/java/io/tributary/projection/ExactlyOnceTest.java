package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.processing.RetryPolicy;
import java.nio.file.Path;
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
 * The checkpoint commits with the read model's rows: a projection stopped mid-batch (by a failure or by an
 * interrupted stop, neither of which commits) resumes where the committed rows end, and each event ends up applied
 * exactly once.
 */
@Timeout(120)
class ExactlyOnceTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aBatchThatFailsMidwayLeavesNoRowsAndTheRestartAppliesEveryEventOnce(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("exactly-once").withCatalogPrefix(prefix).withMaxBatchEvents(100)
                .withRetry(RetryPolicy.noRetries());
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 3);
            Fixtures.produce(log, "orders", 0, 1000);
            AtomicInteger handled = new AtomicInteger();
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            // Inserts its rows, then throws after the 650th event: the batch's rows were written but never commit.
            ProjectionHandler<LogRecord> crashing = (events, ctx) -> {
                rows.apply(events, ctx);
                if (handled.addAndGet(events.size()) >= 650) {
                    throw new IllegalStateException("simulated crash after writing rows, before commit");
                }
            };
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), crashing, config)) {
                awaitState(p, ProjectionState.FAILED);
                assertThat(p.failure()).get().satisfies(f -> {
                    assertThat(f.message()).contains("exactly-once", "version 1", "Nothing of the batch was committed");
                    assertThat(f.cause()).hasMessageContaining("simulated crash");
                });
                long committed = p.checkpoints().values().stream().mapToLong(Long::longValue).sum();
                assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).as("rows match the checkpoint")
                        .isEqualTo(committed).isLessThan(650);
            }

            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rows, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertExactlyOnce(db, table + "_v1", 1000);
                assertThat(p.checkpoints()).containsOnlyKeys("orders/0", "orders/1", "orders/2");
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aStopThatInterruptsABatchRollsItBackAndTheRestartAppliesEveryEventOnce(TestDatabase db) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of("abandoned").withCatalogPrefix(prefix).withMaxBatchEvents(64)
                .withStopTimeout(Duration.ofMillis(200));
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 500);
            AtomicInteger batches = new AtomicInteger();
            CountDownLatch stuck = new CountDownLatch(1);
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            // The fourth batch writes its rows and then hangs until interrupted: the abandoned transaction.
            ProjectionHandler<LogRecord> hanging = (events, ctx) -> {
                rows.apply(events, ctx);
                if (batches.incrementAndGet() == 4) {
                    stuck.countDown();
                    new CountDownLatch(1).await();
                }
            };
            Projection<LogRecord> first = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), hanging, config);
            assertThat(stuck.await(30, TimeUnit.SECONDS)).isTrue();
            first.close();
            assertThat(first.state()).isEqualTo(ProjectionState.STOPPED);
            long committed = first.checkpoints().values().stream().mapToLong(Long::longValue).sum();
            assertThat(db.count("SELECT COUNT(*) FROM " + table + "_v1")).isEqualTo(committed).isEqualTo(3 * 64);

            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), rows, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertExactlyOnce(db, table + "_v1", 500);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    /** Regression: a batch whose commit succeeded but whose connection failed to close was applied a second time. */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aBatchWhoseConnectionFailsToCloseAfterItsCommitIsNotAppliedAgain(TestDatabase db) throws Exception {
        AtomicInteger failedCloses = new AtomicInteger();
        appliesEveryEventOnceWhenTheThirdBatchMeetsAFault(db, "close-fails",
                (target, armed) -> closeFailsOnceAfterCommit(target, armed, failedCloses),
                failedCloses, "the close after the third batch's commit failed", 3);
    }

    /**
     * Regression: the commit's reply is lost and the commit lands only while the retry is already applying the batch
     * again; the checkpoint's compare-and-set makes the retry roll back instead of applying the events twice.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aCommitThatLandsWhileTheRetryRunsDoesNotApplyTheBatchTwice(TestDatabase db) throws Exception {
        AtomicInteger lateCommits = new AtomicInteger();
        appliesEveryEventOnceWhenTheThirdBatchMeetsAFault(db, "late-commit",
                (target, armed) -> commitLandsLateOnce(target, armed, lateCommits),
                lateCommits, "the third batch's commit landed late", 11);
    }

    /**
     * Projects 1,000 events through a data source whose fault the third batch arms, and checks that the fault hit once,
     * the projection kept running ({@code minBatches} handler calls at least, retries included) and every event was
     * applied exactly once.
     */
    private void appliesEveryEventOnceWhenTheThirdBatchMeetsAFault(
            TestDatabase db, String name,
            java.util.function.BiFunction<javax.sql.DataSource, AtomicBoolean, javax.sql.DataSource> faulty,
            AtomicInteger faults, String fault, int minBatches) throws Exception {
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        ProjectionConfig config = ProjectionConfig.of(name).withCatalogPrefix(prefix).withMaxBatchEvents(100)
                .withRetry(RetryPolicy.defaults());
        AtomicBoolean armed = new AtomicBoolean();
        javax.sql.DataSource dataSource = faulty.apply(db.dataSource(), armed);
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 2);
            Fixtures.produce(log, "orders", 0, 1000);
            AtomicInteger batches = new AtomicInteger();
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> arming = (events, ctx) -> {
                rows.apply(events, ctx);
                if (batches.incrementAndGet() == 3) {
                    armed.set(true); // the fault hits this batch's commit
                }
            };
            try (Projection<LogRecord> p = Projection.start(dataSource, new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), arming, config)) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
                assertThat(faults.get()).as(fault).isEqualTo(1);
                assertThat(batches.get()).as("handler calls, the retried one included").isGreaterThanOrEqualTo(minBatches);
                assertThat(p.state()).isEqualTo(ProjectionState.RUNNING);
                assertExactlyOnce(db, table + "_v1", 1000);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    /** Connections whose commit(), when armed, throws at once and really commits 1.5 s later on another thread. */
    private static javax.sql.DataSource commitLandsLateOnce(javax.sql.DataSource target, AtomicBoolean armed,
                                                            AtomicInteger lateCommits) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(ExactlyOnceTest.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    java.sql.Connection real = (java.sql.Connection) result;
                    AtomicBoolean detached = new AtomicBoolean();
                    return java.lang.reflect.Proxy.newProxyInstance(ExactlyOnceTest.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (cp, m, a) -> {
                                if (m.getName().equals("commit") && armed.compareAndSet(true, false)) {
                                    detached.set(true);
                                    Thread.ofPlatform().daemon().start(() -> {
                                        try {
                                            Thread.sleep(1500);
                                            real.commit();
                                            lateCommits.incrementAndGet();
                                            real.close();
                                        } catch (Exception e) {
                                            throw new IllegalStateException(e);
                                        }
                                    });
                                    throw new java.sql.SQLException("simulated: connection lost before the commit's reply");
                                }
                                if (detached.get() && (m.getName().equals("rollback") || m.getName().equals("close"))) {
                                    return null; // the late committer owns the real connection now
                                }
                                return invoke(real, m, a);
                            });
                });
    }

    /** Connections whose close() throws once, after a commit, when armed: the commit itself went through. */
    private static javax.sql.DataSource closeFailsOnceAfterCommit(javax.sql.DataSource target, AtomicBoolean armed,
                                                                  AtomicInteger failedCloses) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(ExactlyOnceTest.class.getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    Object result = invoke(target, method, args);
                    if (!method.getName().equals("getConnection")) {
                        return result;
                    }
                    java.sql.Connection real = (java.sql.Connection) result;
                    AtomicBoolean committed = new AtomicBoolean();
                    return java.lang.reflect.Proxy.newProxyInstance(ExactlyOnceTest.class.getClassLoader(),
                            new Class<?>[] {java.sql.Connection.class}, (cp, m, a) -> {
                                if (m.getName().equals("commit")) {
                                    Object r = invoke(real, m, a);
                                    committed.set(true);
                                    return r;
                                }
                                if (m.getName().equals("close") && committed.get() && armed.compareAndSet(true, false)) {
                                    real.close();
                                    failedCloses.incrementAndGet();
                                    throw new java.sql.SQLException("simulated: connection reset after the commit");
                                }
                                return invoke(real, m, a);
                            });
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @org.junit.jupiter.api.Test
    void refusesToStartOnATopicThatDoesNotExistAndSaysSo() {
        TestDatabase db = TestDatabase.H2;
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        try (EventLog log = Fixtures.openLog(dir)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Projection.start(db.dataSource(),
                            new LogTopicSource(log, "no-such-topic"), Fixtures.rowsPerEvent(table),
                            Fixtures.insertRows(table), ProjectionConfig.of("nowhere").withCatalogPrefix(prefix)))
                    .isInstanceOfSatisfying(io.tributary.core.RetriableException.class,
                            e -> assertThat(e.code()).isEqualTo(ProjectionErrors.PROJECTION_START_FAILED))
                    .hasMessageContaining("nowhere").hasMessageContaining("no-such-topic");
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }

    static void assertExactlyOnce(TestDatabase db, String physical, int events) {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            expected.add("e" + i);
        }
        assertThat(db.strings("SELECT event FROM " + physical)).containsExactlyInAnyOrderElementsOf(expected);
    }

    static void awaitState(Projection<?> p, ProjectionState state) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (p.state() != state && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(p.state()).isEqualTo(state);
    }
}
