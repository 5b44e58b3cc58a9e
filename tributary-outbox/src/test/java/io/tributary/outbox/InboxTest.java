package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.RetriableException;
import io.tributary.core.UuidV7;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The inbox: each event applied once per consumer, over every supported database. */
@Timeout(60)
class InboxTest {

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void acceptsAnEventOnceAndReportsTheDuplicate(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID id = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessed(c, "payments", id)).isTrue();
            c.commit();
            assertThat(inbox.markProcessed(c, "payments", id)).isFalse();
            assertThat(inbox.markProcessed(c, "shipping", id)).as("another consumer applies it too").isTrue();
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aDuplicateMidTransactionLeavesTheTransactionsOtherWorkToCommit(TestDatabase db) throws SQLException {
        // Regression: on H2 the duplicate is now detected by the unique key rejecting the insert (no existence
        // query first); the rejected statement must not roll back or poison the rest of the transaction.
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID seen = UuidV7.next();
            UUID fresh = UuidV7.next();
            UUID later = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessed(c, "payments", seen)).isTrue();
            c.commit();
            assertThat(inbox.markProcessed(c, "payments", fresh)).isTrue();
            assertThat(inbox.markProcessed(c, "payments", seen)).as("the redelivery is skipped").isFalse();
            assertThat(inbox.markProcessed(c, "payments", later)).as("the transaction goes on").isTrue();
            c.commit();
            assertThat(inbox.markProcessed(c, "payments", fresh)).as("committed before the duplicate").isFalse();
            assertThat(inbox.markProcessed(c, "payments", later)).as("committed after the duplicate").isFalse();
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllFlagsEachNewEventAndEachDuplicateInListOrder(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID seen = UuidV7.next();
            UUID fresh = UuidV7.next();
            UUID later = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessed(c, "payments", seen)).isTrue();
            c.commit();
            assertThat(inbox.markProcessedAll(c, "payments", List.of(fresh, seen, later)))
                    .as("the redelivery in the middle is skipped, the rest applied").containsExactly(true, false, true);
            c.commit();
            assertThat(inbox.markProcessedAll(c, "payments", List.of(later, fresh)))
                    .as("both committed by the batch").containsExactly(false, false);
            assertThat(inbox.markProcessedAll(c, "payments", List.of())).isEmpty();
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    /**
     * More ids than one of H2's multi-row inserts takes (64), some already processed, spread over the pieces: each
     * piece with a duplicate goes again one id at a time, and every flag is still right.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllFlagsDuplicatesSpreadOverMoreIdsThanOneStatementTakes(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            List<UUID> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 150; i++) {
                ids.add(UuidV7.next());
            }
            c.setAutoCommit(false);
            List<UUID> before = List.of(ids.get(3), ids.get(70), ids.get(71), ids.get(149));
            assertThat(inbox.markProcessedAll(c, "payments", before)).containsOnly(true);
            c.commit();
            boolean[] flags = inbox.markProcessedAll(c, "payments", ids.reversed());
            c.commit();
            for (int i = 0; i < 150; i++) {
                assertThat(flags[149 - i]).as("id %d", i).isEqualTo(!before.contains(ids.get(i)));
            }
            assertThat(inbox.markProcessedAll(c, "payments", ids)).as("all committed now").containsOnly(false);
            c.rollback();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllReportsNewEventsAsNewWhenTheDriverRewritesBatchedInserts(TestDatabase db) throws SQLException {
        // Regression: the PostgreSQL path read a JDBC batch's update counts as flags, and with reWriteBatchedInserts
        // pgjdbc answers SUCCESS_NO_INFO (-2) for rewritten rows: new events came back as duplicates, their inbox rows
        // committed and their handlers skipped them, so the events were lost.
        OutboxTables tables = db.freshTables();
        try (Connection c = db.rewritingBatchedInserts().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID a = UuidV7.next();
            UUID b = UuidV7.next();
            UUID d = UuidV7.next();
            UUID e = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessedAll(c, "payments", List.of(a, b, d))).containsExactly(true, true, true);
            c.commit();
            assertThat(inbox.markProcessedAll(c, "payments", List.of(e, b, e, a)))
                    .containsExactly(true, false, false, false);
            c.commit();
            assertThat(inbox.markProcessedAll(c, "payments", List.of(d, e))).containsExactly(false, false);
            c.rollback();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllNamesTheEventsItCouldNotRecordWithoutQuotingTheStatement(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        db.drop(tables);
        try (Connection c = db.rewritingBatchedInserts().getConnection()) {
            UUID first = UUID.fromString("00000000-0000-7000-8000-000000000001");
            UUID second = UUID.fromString("00000000-0000-7000-8000-000000000002");
            c.setAutoCommit(false);
            assertThatThrownBy(() -> new Inbox(tables).markProcessedAll(c, "payments", List.of(second, first)))
                    .isInstanceOf(RetriableException.class)
                    .hasMessageContaining(db != TestDatabase.MARIADB ? "one of 2 events (" + first + " to " + second
                            : "event " + first)
                    .hasMessageContaining("SQLState ")
                    .hasMessageNotContaining("INSERT");
            c.rollback();
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllInOppositeOrdersConcurrentlyNeverDeadlocks(TestDatabase db) throws Exception {
        // Two handlers applying the same events in different orders: rows are locked in sorted id order, so one
        // waits for the other instead of each holding a row the other needs.
        OutboxTables tables = db.freshTables();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Inbox inbox = new Inbox(tables);
            for (int round = 0; round < 10; round++) {
                List<UUID> ids = new ArrayList<>();
                for (int i = 0; i < 50; i++) {
                    ids.add(UuidV7.next());
                }
                List<UUID> reversed = new ArrayList<>(ids.reversed());
                List<Callable<Integer>> handlers = new ArrayList<>();
                for (List<UUID> order : List.of(ids, reversed)) {
                    handlers.add(() -> {
                        try (Connection c = db.dataSource().getConnection()) {
                            c.setAutoCommit(false);
                            int applied = 0;
                            for (boolean first : inbox.markProcessedAll(c, "payments", order)) {
                                applied += first ? 1 : 0;
                            }
                            c.commit();
                            return applied;
                        }
                    });
                }
                int applied = 0;
                for (Future<Integer> f : pool.invokeAll(handlers)) {
                    applied += f.get();
                }
                assertThat(applied).as("round %d: each event applied once", round).isEqualTo(ids.size());
            }
        } finally {
            pool.shutdownNow();
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllCountsAnIdRepeatedInTheListOnce(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID twice = UuidV7.next();
            UUID other = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessedAll(c, "payments", List.of(twice, other, twice)))
                    .containsExactly(true, true, false);
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void markProcessedAllIsRolledBackWithTheHandler(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID a = UuidV7.next();
            UUID b = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessedAll(c, "payments", List.of(a, b))).containsExactly(true, true);
            c.rollback();
            assertThat(inbox.markProcessedAll(c, "payments", List.of(b, a))).containsExactly(true, true);
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aRolledBackHandlerLeavesTheEventUnprocessed(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            UUID id = UuidV7.next();
            c.setAutoCommit(false);
            assertThat(inbox.markProcessed(c, "payments", id)).isTrue();
            c.rollback();
            assertThat(inbox.markProcessed(c, "payments", id)).isTrue();
            c.commit();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void concurrentDeliveriesOfOneEventApplyItExactlyOnce(TestDatabase db) throws Exception {
        OutboxTables tables = db.freshTables();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            Inbox inbox = new Inbox(tables);
            for (int round = 0; round < 20; round++) {
                UUID id = UuidV7.next();
                List<Callable<Boolean>> deliveries = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    deliveries.add(() -> {
                        try (Connection c = db.dataSource().getConnection()) {
                            c.setAutoCommit(false);
                            boolean first = inbox.markProcessed(c, "payments", id);
                            Thread.sleep(2); // the "handler" holds the transaction open a little
                            c.commit();
                            return first;
                        }
                    });
                }
                int applied = 0;
                for (Future<Boolean> f : pool.invokeAll(deliveries)) {
                    if (f.get()) {
                        applied++;
                    }
                }
                assertThat(applied).as("round %d", round).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void purgeDeletesRowsOlderThanTheWindow(TestDatabase db) throws Exception {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            Inbox inbox = new Inbox(tables);
            c.setAutoCommit(false);
            UUID old = UuidV7.next();
            inbox.markProcessed(c, "payments", old);
            c.commit();
            Thread.sleep(50);
            assertThat(inbox.purgeOlderThan(db.dataSource(), Duration.ofHours(1))).isZero();
            assertThat(inbox.purgeOlderThan(db.dataSource(), Duration.ofMillis(10))).isEqualTo(1);
            assertThat(inbox.markProcessed(c, "payments", old)).as("forgotten after the window").isTrue();
            c.rollback();
        } finally {
            db.drop(tables);
        }
    }
}
