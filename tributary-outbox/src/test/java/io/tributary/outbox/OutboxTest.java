package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Writing events into the outbox, over every supported database. */
@Timeout(60)
class OutboxTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addsTheEventInTheCallersTransactionAndOnlyIfItCommits(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                outbox.add(c, OutboxEvent.of("orders", bytes("o-1"), "OrderPlaced", bytes("{}")));
                c.rollback();
                UUID kept = outbox.add(c, OutboxEvent.of("orders", bytes("o-1"), "OrderPlaced", bytes("{}")));
                c.commit();
                assertThat(eventIds(db, tables)).containsExactly(kept.toString());
            }
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void rejectsAnAutoCommitConnectionBecauseTheEventWouldNotBeAtomic(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(true);
            assertThatThrownBy(() -> new Outbox(tables).add(c, OutboxEvent.of("orders", null, "T", bytes("x"))))
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("auto-commit")
                    .hasMessageContaining("setAutoCommit(false)");
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void rejectsKeysLongerThan1024BytesBeforeWriting(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> new Outbox(tables).add(c, OutboxEvent.of("orders", new byte[1025], "T", null)))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1025-byte key");
            c.rollback();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void numbersEachKeysEventsInCommitOrder(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            for (int i = 0; i < 3; i++) {
                try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    outbox.add(c, OutboxEvent.of("orders", bytes("a"), "T", bytes("a" + i)));
                    outbox.add(c, OutboxEvent.of("orders", bytes("b"), "T", bytes("b" + i)));
                    outbox.add(c, OutboxEvent.of("orders", null, "T", bytes("n" + i)));
                    c.commit();
                }
            }
            assertThat(keySequences(db, tables, "a")).containsExactly(1L, 2L, 3L);
            assertThat(keySequences(db, tables, "b")).containsExactly(1L, 2L, 3L);
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aSecondTransactionOnTheSameKeyWaitsForTheFirstSoSequenceIsCommitOrder(TestDatabase db) throws Exception {
        OutboxTables tables = db.freshTables();
        try (Connection first = db.dataSource().getConnection()) {
            Outbox outbox = new Outbox(tables);
            first.setAutoCommit(false);
            outbox.add(first, OutboxEvent.of("orders", bytes("k"), "T", bytes("first")));
            CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
                try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    outbox.add(c, OutboxEvent.of("orders", bytes("k"), "T", bytes("second")));
                    c.commit();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThatThrownBy(() -> second.get(500, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
            first.commit();
            second.get(10, TimeUnit.SECONDS);
            assertThat(payloadsByKeySequence(db, tables, "k")).containsExactly("first", "second");
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void aRolledBackTransactionGivesItsSequenceNumberBack(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                outbox.add(c, OutboxEvent.of("orders", bytes("k"), "T", bytes("1")));
                c.commit();
                outbox.add(c, OutboxEvent.of("orders", bytes("k"), "T", bytes("rolled back")));
                c.rollback();
                outbox.add(c, OutboxEvent.of("orders", bytes("k"), "T", bytes("2")));
                c.commit();
            }
            assertThat(keySequences(db, tables, "k")).containsExactly(1L, 2L);
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllNumbersEachKeysEventsInListOrderAfterTheKeysEarlierOnes(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                outbox.add(c, OutboxEvent.of("orders", bytes("a"), "T", bytes("a0")));
                c.commit();
                List<UUID> ids = outbox.addAll(c, List.of(
                        OutboxEvent.of("orders", bytes("a"), "T", bytes("a1")),
                        OutboxEvent.of("orders", bytes("b"), "T", bytes("b0")),
                        OutboxEvent.of("orders", null, "T", bytes("n0")),
                        OutboxEvent.of("orders", bytes("a"), "T", bytes("a2")),
                        OutboxEvent.of("orders", bytes("b"), "T", bytes("b1"))));
                c.commit();
                assertThat(ids).hasSize(5).doesNotHaveDuplicates();
                assertThat(eventIds(db, tables)).hasSize(6).containsAll(ids.stream().map(UUID::toString).toList());
            }
            assertThat(keySequences(db, tables, "a")).containsExactly(1L, 2L, 3L);
            assertThat(payloadsByKeySequence(db, tables, "a")).containsExactly("a0", "a1", "a2");
            assertThat(keySequences(db, tables, "b")).containsExactly(1L, 2L);
            assertThat(payloadsByKeySequence(db, tables, "b")).containsExactly("b0", "b1");
        } finally {
            db.drop(tables);
        }
    }

    /**
     * A list longer than one of H2's multi-row statements takes (64 keys, 64 rows), keys repeated in it: every key's
     * events are numbered in list order after its earlier ones, whatever piece they land in.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllOfMoreEventsThanOneStatementTakesNumbersEachKeysEventsInListOrder(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                outbox.add(c, OutboxEvent.of("orders", bytes("key-3"), "T", bytes("key-3#0")));
                c.commit();
                List<OutboxEvent> events = new ArrayList<>();
                int[] seen = new int[100];
                seen[3] = 1;
                for (int i = 0; i < 230; i++) {
                    int k = (i * 37) % 100;   // 100 keys, each 2 or 3 times, interleaved
                    events.add(OutboxEvent.of("orders", bytes("key-" + k), "T", bytes("key-" + k + "#" + seen[k]++)));
                }
                assertThat(outbox.addAll(c, events)).hasSize(230).doesNotHaveDuplicates();
                c.commit();
                for (int k : new int[] {0, 3, 37, 63, 64, 99}) {
                    List<String> expected = new ArrayList<>();
                    for (int n = 0; n < seen[k]; n++) {
                        expected.add("key-" + k + "#" + n);
                    }
                    assertThat(payloadsByKeySequence(db, tables, "key-" + k)).as("key-%d", k)
                            .containsExactlyElementsOf(expected);
                    assertThat(keySequences(db, tables, "key-" + k)).as("key-%d", k).hasSize(seen[k])
                            .startsWith(1L).isSorted().doesNotHaveDuplicates().last().isEqualTo((long) seen[k]);
                }
                assertThat(eventIds(db, tables)).hasSize(231);
            }
        } finally {
            db.drop(tables);
        }
    }

    /**
     * Regression (H2): T2's key merge, one multi-row {@code SELECT ... FROM FINAL TABLE (MERGE ...)}, met T1's pending
     * first insert of key "b" and was retried inside H2 without undoing the keys it had already bumped: "a" came back
     * as 35 after 100 ms instead of 2, and no error reached our code. On H2 the merge now fails with 23505 once T1
     * commits (H2 undoes the statement whole), and our retry merges again: this also runs that retry.
     */
    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllBumpsEachKeyOnceWhileAnotherTransactionIsAddingOneOfItsKeysFirstEvent(TestDatabase db) throws Exception {
        OutboxTables tables = db.freshTables();
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (Connection first = db.dataSource().getConnection()) {
            Outbox outbox = new Outbox(tables);
            first.setAutoCommit(false);
            outbox.add(first, OutboxEvent.of("orders", bytes("a"), "T", bytes("a#0")));
            first.commit();
            outbox.add(first, OutboxEvent.of("orders", bytes("b"), "T", bytes("b#0")));   // b's first event, pending
            Future<List<UUID>> second = thread.submit(() -> {
                try (Connection c = db.dataSource().getConnection()) {
                    c.setAutoCommit(false);
                    List<UUID> ids = outbox.addAll(c, List.of(OutboxEvent.of("orders", bytes("a"), "T", bytes("a#1")),
                            OutboxEvent.of("orders", bytes("b"), "T", bytes("b#1"))));
                    c.commit();
                    return ids;
                }
            });
            assertThatThrownBy(() -> second.get(300, TimeUnit.MILLISECONDS)).as("waits for b's first event")
                    .isInstanceOf(TimeoutException.class);
            first.commit();
            assertThat(second.get(20, TimeUnit.SECONDS)).hasSize(2);
            assertThat(keySequences(db, tables, "a")).containsExactly(1L, 2L);
            assertThat(payloadsByKeySequence(db, tables, "a")).containsExactly("a#0", "a#1");
            assertThat(keySequences(db, tables, "b")).containsExactly(1L, 2L);
            assertThat(payloadsByKeySequence(db, tables, "b")).containsExactly("b#0", "b#1");
        } finally {
            thread.shutdownNow();
            db.drop(tables);
        }
    }

    /**
     * Regression (H2): a failed multi-row insert went again one row at a time whatever the error. After a deadlock
     * (40001) H2 has rolled the whole transaction back, key sequence bumps included, and the rows would land in a
     * fresh transaction; only a data error (SQLSTATE class 22 or 23), which undoes just the statement, may go one row
     * at a time. H2 does not report a deadlock for an insert waiting on another transaction's pending unique key (both
     * sides time out), so a lock timeout (HYT00), another error outside those classes, stands in for it here: the
     * piece's error comes back as it is, instead of its first row being tried again alone.
     */
    @Test
    void addAllOnH2RethrowsAnErrorOtherThanADataErrorInsteadOfInsertingThePieceOneRowAtATime() throws Exception {
        TestDatabase db = TestDatabase.H2;
        OutboxTables tables = db.freshTables();
        try (Connection holder = db.dataSource().getConnection(); Connection c = db.dataSource().getConnection()) {
            Outbox outbox = new Outbox(tables);
            holder.setAutoCommit(false);
            c.setAutoCommit(false);
            UUID contested = UuidV7.next();
            Headers withContestedId = Headers.empty().with(StandardHeaders.EVENT_ID, contested.toString());
            outbox.add(holder, new OutboxEvent("orders", null, "T", bytes("holder's"), withContestedId));
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCK_TIMEOUT 300");
            }
            try {
                // The piece's insert waits for holder's pending row with the same event id, and times out.
                assertThatThrownBy(() -> outbox.addAll(c, List.of(
                        new OutboxEvent("orders", bytes("a"), "T", bytes("contested"), withContestedId),
                        OutboxEvent.of("orders", bytes("b"), "T", bytes("b1")))))
                        .isInstanceOf(io.tributary.core.RetriableException.class)
                        .hasMessageContaining("SQLState HYT00")
                        .hasMessageContaining("one of a batch of 2 of the 2 events")
                        .hasMessageNotContaining("(event 1 of 2 in the list)");
            } finally {
                c.rollback();
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCK_TIMEOUT 10000");
                }
                holder.rollback();
            }
        } finally {
            db.drop(tables);
        }
    }

    /**
     * Regression: when the merge of a piece of keys failed, the error counted the piece's keys as if they were events
     * ("one of a batch of 2 of the 3 events" for keys a and b of events a, a, b).
     */
    @Test
    void addAllOnH2CountsTheEventsOfAKeyMergeThatFailed() throws Exception {
        TestDatabase db = TestDatabase.H2;
        OutboxTables tables = db.freshTables();
        try (Connection holder = db.dataSource().getConnection(); Connection c = db.dataSource().getConnection()) {
            Outbox outbox = new Outbox(tables);
            holder.setAutoCommit(false);
            c.setAutoCommit(false);
            outbox.add(holder, OutboxEvent.of("orders", bytes("a"), "T", bytes("holder's a")));
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCK_TIMEOUT 200");
            }
            try {
                List<OutboxEvent> events = List.of(OutboxEvent.of("orders", bytes("a"), "T", bytes("a1")),
                        OutboxEvent.of("orders", bytes("a"), "T", bytes("a2")),
                        OutboxEvent.of("orders", bytes("b"), "T", bytes("b1")));
                assertThatThrownBy(() -> outbox.addAll(c, events))
                        .isInstanceOf(io.tributary.core.RetriableException.class)
                        .hasMessageContaining("one of a batch of 3 of the 3 events");
            } finally {
                c.rollback();
                try (Statement st = c.createStatement()) {
                    st.execute("SET LOCK_TIMEOUT 10000");
                }
                holder.rollback();
            }
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllNamesTheEventWhoseInsertFailedAndDoesNotQuoteItsPayload(TestDatabase db) throws SQLException {
        // Regression: a failed batch was reported against the list's last event, with pgjdbc's message quoting the
        // whole statement and its bound values (payloads hex-encoded) in ours.
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.rewritingBatchedInserts().getConnection()) {
                c.setAutoCommit(false);
                UUID taken = outbox.add(c, OutboxEvent.of("orders", null, "T", bytes("first")));
                c.commit();
                Headers reused = Headers.empty().with(StandardHeaders.EVENT_ID, taken.toString());
                byte[] secret = bytes("card 4111-1111-1111-1111");
                for (byte[] key : new byte[][] {bytes("k"), null}) {
                    assertThatThrownBy(() -> outbox.addAll(c, List.of(
                            OutboxEvent.of("orders", key, "T", bytes("fine")),
                            new OutboxEvent("orders", key, "T", secret, reused),
                            OutboxEvent.of("orders", key, "T", bytes("fine too")))))
                            .as(key == null ? "keyless" : "keyed")
                            .isInstanceOf(io.tributary.core.RetriableException.class)
                            .hasMessageContaining("event " + taken + " (event 2 of 3 in the list)")
                            .hasMessageContaining("SQLState 23")
                            .hasMessageNotContaining("INSERT")
                            .hasMessageNotContaining(java.util.HexFormat.of().formatHex(secret))
                            .hasMessageNotContaining("4111");
                    c.rollback();
                }
            }
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllForTheSameKeysInOppositeOrdersConcurrentlyNeverDeadlocks(TestDatabase db) throws Exception {
        // Each transaction locks its keys' sequence rows in sorted key order, whatever its list's order, so one waits
        // for the other instead of each holding a key the other needs.
        OutboxTables tables = db.freshTables();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            Outbox outbox = new Outbox(tables);
            List<OutboxEvent> forward = new ArrayList<>();
            for (int k = 0; k < 30; k++) {
                forward.add(OutboxEvent.of("orders", bytes("key-" + k), "T", bytes("f" + k)));
            }
            List<OutboxEvent> backward = new ArrayList<>();
            for (OutboxEvent e : forward.reversed()) {
                backward.add(OutboxEvent.of("orders", e.key(), "T", bytes("b")));
            }
            for (int round = 0; round < 10; round++) {
                List<java.util.concurrent.Callable<Integer>> writers = new ArrayList<>();
                for (List<OutboxEvent> events : List.of(forward, backward)) {
                    writers.add(() -> {
                        try (Connection c = db.dataSource().getConnection()) {
                            c.setAutoCommit(false);
                            int added = outbox.addAll(c, events).size();
                            c.commit();
                            return added;
                        }
                    });
                }
                for (java.util.concurrent.Future<Integer> f : pool.invokeAll(writers)) {
                    assertThat(f.get()).as("round %d", round).isEqualTo(30);
                }
            }
            assertThat(keySequences(db, tables, "key-7")).hasSize(20).doesNotHaveDuplicates();
        } finally {
            pool.shutdownNow();
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllWritesNothingWhenOneEventsKeyIsTooLong(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                assertThatThrownBy(() -> new Outbox(tables).addAll(c, List.of(
                        OutboxEvent.of("orders", bytes("fine"), "T", bytes("1")),
                        OutboxEvent.of("orders", new byte[1025], "T", null))))
                        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1025-byte key");
                c.commit();
            }
            assertThat(eventIds(db, tables)).isEmpty();
        } finally {
            db.drop(tables);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void addAllIsRolledBackWithTheCallersTransaction(TestDatabase db) throws SQLException {
        OutboxTables tables = db.freshTables();
        try {
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                outbox.addAll(c, List.of(OutboxEvent.of("orders", bytes("k"), "T", bytes("gone")),
                        OutboxEvent.of("orders", null, "T", bytes("gone too"))));
                c.rollback();
                outbox.addAll(c, List.of(OutboxEvent.of("orders", bytes("k"), "T", bytes("kept"))));
                c.commit();
            }
            assertThat(keySequences(db, tables, "k")).containsExactly(1L);
            assertThat(eventIds(db, tables)).hasSize(1);
        } finally {
            db.drop(tables);
        }
    }

    @org.junit.jupiter.api.Test
    void fillsMissingStandardHeadersAndKeepsGivenOnes() {
        Headers given = Headers.empty().with(StandardHeaders.CORRELATION_ID, "flow-7").with("x-tenant", "acme");
        Headers h = Outbox.completeHeaders(new OutboxEvent("orders", null, "OrderPlaced", null, given));
        assertThat(h.eventId()).hasValueSatisfying(id -> assertThat(id.version()).isEqualTo(7));
        assertThat(h.eventType()).contains("OrderPlaced");
        assertThat(h.correlationId()).contains("flow-7");
        assertThat(h.lastString("x-tenant")).contains("acme");

        Headers root = Outbox.completeHeaders(OutboxEvent.of("orders", null, "OrderPlaced", null));
        assertThat(root.correlationId()).contains(root.eventId().orElseThrow().toString());
    }

    @org.junit.jupiter.api.Test
    void shippedScriptsSplitIntoStatementsKeepingFunctionBodiesWhole() {
        List<String> pg = OutboxSchema.statements(OutboxSchema.ddl(OutboxDialect.POSTGRESQL, OutboxTables.defaults()));
        assertThat(pg).anySatisfy(s -> assertThat(s).startsWith("CREATE OR REPLACE FUNCTION").contains("pg_notify")
                .contains("END $$"));
        assertThat(pg).noneMatch(s -> s.endsWith(";"));
        String renamed = OutboxSchema.ddl(OutboxDialect.MARIADB, new OutboxTables("orders_outbox", "orders_inbox"));
        assertThat(renamed).contains("CREATE TABLE IF NOT EXISTS orders_outbox (")
                .contains("orders_outbox_key").contains("orders_inbox").doesNotContain("tributary_");
    }

    private static List<String> eventIds(TestDatabase db, OutboxTables t) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT event_id FROM " + t.outbox() + " ORDER BY id");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static List<Long> keySequences(TestDatabase db, OutboxTables t, String key) throws SQLException {
        List<Long> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT key_seq FROM " + t.outbox() + " WHERE msg_key = ? ORDER BY id")) {
            ps.setBytes(1, bytes(key));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getLong(1));
                }
            }
        }
        return out;
    }

    private static List<String> payloadsByKeySequence(TestDatabase db, OutboxTables t, String key) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT payload FROM " + t.outbox() + " WHERE msg_key = ? ORDER BY key_seq")) {
            ps.setBytes(1, bytes(key));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new String(rs.getBytes(1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }
}
