package io.tributary.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.StreamDeletedException;
import io.tributary.eventstore.WriteResult;
import io.tributary.testdb.TestPostgres;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The store's writes take a stream's advisory lock and then read what the lock's previous holder committed, so they
 * must run under READ COMMITTED whatever the connections' default: a snapshot taken before the lock (REPEATABLE READ,
 * SERIALIZABLE) would not see an event appended while the write waited. Each test runs once on the store's own pool
 * over a URL whose default_transaction_isolation is SERIALIZABLE, once on a caller's REPEATABLE READ DataSource.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PostgresIsolationTest {

    /** The advisory-lock class of the store's stream locks (PostgresEventStore.LOCK_CLASS). */
    private static final int LOCK_CLASS = 1953655138;

    private static List<EventData> batch(int n) {
        List<EventData> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(EventData.of("Tick", ("t" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /**
     * A hard delete that waits for the stream's lock while an append to the stream commits must delete that event
     * too: the GDPR case, an event left on disk after the tombstone answered. Appends are refused afterwards.
     */
    @ParameterizedTest
    @ValueSource(strings = {"owned pool, serializable URL", "caller's repeatable-read DataSource"})
    void aHardDeleteWaitingForTheLockDeletesTheEventCommittedMeanwhileWhateverTheDefaultIsolation(String source)
            throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        withStore(source, config, store -> {
            store.append("order-1", ExpectedVersion.noStream(), batch(2));
            appendWhileWaiting(config, "order-1", () -> store.tombstoneStream("order-1", ExpectedVersion.any()));

            assertThat(storedEvents(config, "order-1")).as("%s: events of the tombstoned stream left in es_events",
                    source).isZero();
            assertThatThrownBy(() -> store.append("order-1", ExpectedVersion.any(), batch(1)))
                    .isInstanceOf(StreamDeletedException.class);
            return null;
        });
    }

    /**
     * A soft delete that waits for the lock while an append commits hides that event too (it deletes from the last
     * version, not from the one before), and the recreated stream continues after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"owned pool, serializable URL", "caller's repeatable-read DataSource"})
    void aSoftDeleteWaitingForTheLockHidesTheEventCommittedMeanwhileWhateverTheDefaultIsolation(String source)
            throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        withStore(source, config, store -> {
            store.append("order-1", ExpectedVersion.noStream(), batch(2));
            appendWhileWaiting(config, "order-1", () -> store.deleteStream("order-1", ExpectedVersion.any()));

            assertThat(store.readStreamForward("order-1", 0, 10)).as("%s", source).isEmpty();
            assertThat(store.streamInfo("order-1").exists()).isFalse();
            assertThat(store.append("order-1", ExpectedVersion.noStream(), batch(1)).lastVersion()).isEqualTo(3);
            assertThat(store.readStreamForward("order-1", 0, 10)).extracting(RecordedEvent::version).containsExactly(3L);
            return null;
        });
    }

    /**
     * An append that waits for the lock while another append commits goes on after that one's version, without an
     * error: the append function refuses to run outside READ COMMITTED, and the store then sets it itself.
     */
    @ParameterizedTest
    @ValueSource(strings = {"owned pool, serializable URL", "caller's repeatable-read DataSource"})
    void anAppendWaitingForTheLockGoesOnAfterTheEventCommittedMeanwhileWhateverTheDefaultIsolation(String source)
            throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        withStore(source, config, store -> {
            store.append("order-1", ExpectedVersion.noStream(), batch(2));
            WriteResult[] result = new WriteResult[1];
            appendWhileWaiting(config, "order-1",
                    () -> result[0] = store.append("order-1", ExpectedVersion.any(), batch(1)));
            assertThat(result[0].lastVersion()).as("%s", source).isEqualTo(3);
            assertThat(store.append("order-1", ExpectedVersion.exactly(3), batch(1)).lastVersion()).isEqualTo(4);
            assertThat(store.append("order-1", ExpectedVersion.any(), batch(2)).lastVersion()).isEqualTo(6);
            assertThat(store.readStreamForward("order-1", 0, 10)).extracting(RecordedEvent::version)
                    .containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
            return null;
        });
    }

    /**
     * An append that waits for the lock while the stream is hard-deleted is refused as deleted: with a snapshot from
     * before the lock it would see neither the tombstone nor the deleted events, and write to the deleted stream.
     */
    @ParameterizedTest
    @ValueSource(strings = {"owned pool, serializable URL", "caller's repeatable-read DataSource"})
    void anAppendWaitingForTheLockWhileTheStreamIsTombstonedIsRefusedWhateverTheDefaultIsolation(String source)
            throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        withStore(source, config, store -> {
            store.append("order-1", ExpectedVersion.noStream(), batch(2));
            Exception[] refused = new Exception[1];
            // The hard delete as the store runs it, under the lock the waiting append needs.
            underLockWhileWaiting("order-1", () -> {
                try {
                    store.append("order-1", ExpectedVersion.any(), batch(1));
                } catch (StreamDeletedException e) {
                    refused[0] = e;
                }
            }, holder -> {
                try (Statement st = holder.createStatement()) {
                    st.execute("UPDATE " + config.schema() + ".es_streams SET tombstoned = TRUE WHERE stream_name = 'order-1'");
                    st.execute("DELETE FROM " + config.schema() + ".es_events WHERE stream_id = (SELECT stream_id FROM "
                            + config.schema() + ".es_streams WHERE stream_name = 'order-1')");
                }
            });
            assertThat(refused[0]).as("%s: the append to the tombstoned stream", source)
                    .isInstanceOf(StreamDeletedException.class);
            assertThat(storedEvents(config, "order-1")).isZero();
            return null;
        });
    }

    /** The append function called directly in a REPEATABLE READ transaction refuses, naming the level and the fix. */
    @ParameterizedTest
    @ValueSource(strings = {"REPEATABLE READ", "SERIALIZABLE"})
    void theAppendFunctionsRefuseToRunOutsideReadCommittedAndNameTheFix(String level) throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect()) {
            c.setAutoCommit(false);
            for (int events : new int[] {1, 2}) {
                try (Statement st = c.createStatement()) {
                    st.execute("SET TRANSACTION ISOLATION LEVEL " + level);
                }
                assertThatThrownBy(() -> PostgresTestStores.callAppend(c, config, false, "order-1",
                        ExpectedVersion.any(), batch(events)))
                        .isInstanceOfSatisfying(SQLException.class, e -> {
                            assertThat(e.getSQLState()).isEqualTo("TR001");
                            assertThat(e.getMessage()).contains("must run under READ COMMITTED, not "
                                    + level.toLowerCase(), "SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
                        });
                c.rollback();
            }
            assertThat(store.streamInfo("order-1").exists()).isFalse();
        }
    }

    @FunctionalInterface
    private interface StoreBody {
        Void run(EventStore store) throws Exception;
    }

    private static void withStore(String source, PostgresEventStoreConfig config, StoreBody body) throws Exception {
        if (source.startsWith("owned")) {
            String url = PostgresSupport.jdbcUrl();
            PostgresEventStoreConfig serializable = PostgresEventStoreConfig.of(url + (url.contains("?") ? "&" : "?")
                    + "options=-c%20default_transaction_isolation%3Dserializable").withUser(config.user())
                    .withSchema(config.schema()).withMaxPoolSize(4);
            try (Connection probe = java.sql.DriverManager.getConnection(serializable.jdbcUrl(), TestPostgres.user(), "");
                 Statement st = probe.createStatement(); ResultSet rs = st.executeQuery("SHOW transaction_isolation")) {
                rs.next();
                assertThat(rs.getString(1)).as("the URL's default isolation").isEqualTo("serializable");
            }
            try (EventStore store = EventStores.postgres(serializable)) {
                body.run(store);
            }
        } else {
            HikariConfig hc = new HikariConfig();
            hc.setJdbcUrl(PostgresSupport.jdbcUrl());
            hc.setUsername(TestPostgres.user());
            hc.setMaximumPoolSize(4);
            hc.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
            try (HikariDataSource ds = new HikariDataSource(hc); EventStore store = EventStores.postgres(ds, config)) {
                body.run(store);
            }
        }
    }

    /**
     * Holds {@code stream}'s lock, starts {@code write} (which then waits for it), appends one event under the lock
     * through the store's own function and commits: {@code write} gets the lock after that event is committed.
     */
    private static void appendWhileWaiting(PostgresEventStoreConfig config, String stream, ThrowingRunnable write)
            throws Exception {
        underLockWhileWaiting(stream, write, holder -> PostgresTestStores.callAppend(holder, config, false, stream,
                ExpectedVersion.any(), batch(1)));
    }

    @FunctionalInterface
    private interface HolderWork {
        void run(Connection holder) throws Exception;
    }

    /** As {@link #appendWhileWaiting}, with {@code work} done under the lock instead of the append. */
    private static void underLockWhileWaiting(String stream, ThrowingRunnable write, HolderWork work) throws Exception {
        try (Connection holder = PostgresSupport.connect()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", " + stream.hashCode() + ")");
            }
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                try {
                    write.run();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waitersOn(stream) == 0) {
                assertThat(waiting).as("the write must wait for the lock").isNotDone();
                assertThat(System.nanoTime()).as("the write never waited for the lock").isLessThan(deadline);
                Thread.sleep(10);
            }
            work.run(holder);
            holder.commit();
            waiting.get(20, TimeUnit.SECONDS);
        }
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    private static long waitersOn(String stream) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                     + " AND classid = " + LOCK_CLASS + " AND objid = " + Integer.toUnsignedLong(stream.hashCode()))) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long storedEvents(PostgresEventStoreConfig config, String stream) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM " + config.schema() + ".es_events e JOIN "
                     + config.schema() + ".es_streams s ON s.stream_id = e.stream_id WHERE s.stream_name = '"
                     + stream + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
