package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.core.RetriableException;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.testdb.TestPostgres;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The relay under faults: the log refusing appends, the database restarting. Nothing is lost or reordered. */
@Timeout(180)
class OutboxRelayFaultTest {

    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RelayConfig fast() {
        return RelayConfig.defaults().withPollInterval(Duration.ofMillis(10))
                .withBackoff(Duration.ofMillis(5), Duration.ofMillis(100));
    }

    /** Adds events a0..aN-1 spread over 10 keys, one per transaction, retrying a transaction that fails. */
    private static Thread writer(javax.sql.DataSource ds, Outbox outbox, int count, AtomicInteger written,
                                 AtomicBoolean stop) {
        return Thread.ofPlatform().start(() -> {
            for (int i = 0; i < count && !stop.get(); ) {
                try (Connection c = ds.getConnection()) {
                    c.setAutoCommit(false);
                    outbox.add(c, OutboxEvent.of("orders", bytes("k" + (i % 10)), "T", bytes("a" + i)));
                    c.commit();
                    written.incrementAndGet();
                    i++;
                } catch (Exception e) {
                    // the database is restarting: retry the same business transaction
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        });
    }

    @Test
    void whenTheLogRefusesEventsWaitInTheOutboxAndThenDrainInOrder() throws Exception {
        TestDatabase db = TestDatabase.POSTGRESQL;
        OutboxTables tables = db.freshTables();
        try (RefusingEventLog log = new RefusingEventLog(LogFixture.open(dir))) {
            LogFixture.createTopic(log, "orders", 3);
            Outbox outbox = new Outbox(tables);
            log.refusing.set(true);
            OutboxRelay relay = OutboxRelay.start(db.dataSource(), log, tables, fast(), new SimpleMeterRegistry());
            AtomicInteger written = new AtomicInteger();
            writer(db.dataSource(), outbox, 300, written, new AtomicBoolean()).join();
            Thread.sleep(300);
            assertThat(OutboxAdmin.stats(db.dataSource(), tables).pending()).as("all held while the log is down").isEqualTo(300);
            log.refusing.set(false);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (OutboxAdmin.stats(db.dataSource(), tables).pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            relay.close();
            List<LogRecord> records = LogFixture.readAll(log, "orders");
            assertThat(records).hasSize(300);
            OutboxRelayTest.assertPerKeyOrder(records);
        } finally {
            db.drop(tables);
        }
    }

    @Test
    void relayOnceLeavesEveryRowPendingWhenTheLogIsDown() throws Exception {
        TestDatabase db = TestDatabase.H2;
        OutboxTables tables = db.freshTables();
        try (RefusingEventLog log = new RefusingEventLog(LogFixture.open(dir))) {
            LogFixture.createTopic(log, "orders", 1);
            AtomicInteger written = new AtomicInteger();
            writer(db.dataSource(), new Outbox(tables), 5, written, new AtomicBoolean()).join();
            log.refusing.set(true);
            OutboxRelay relay = OutboxRelay.create(db.dataSource(), log, tables, fast(), new SimpleMeterRegistry(),
                    RelayObserver.NONE);
            org.assertj.core.api.Assertions.assertThatThrownBy(relay::relayOnce).isInstanceOf(RetriableException.class);
            OutboxStats stats = OutboxAdmin.stats(db.dataSource(), tables);
            assertThat(stats.pending()).isEqualTo(5);
            assertThat(stats.failed()).as("an outage is not the rows' fault").isZero();
            relay.close();
        } finally {
            db.drop(tables);
        }
    }

    /** A private PostgreSQL (not the shared server), stopped and started again while writers and the relay run. */
    @Test
    @Tag("slow")
    void whenTheDatabaseRestartsTheRelayReconnectsAndLosesOrReordersNothing() throws Exception {
        Path pgData = Files.createDirectories(dir.resolve("pg"));
        int port;
        EmbeddedPostgres pg = TestPostgres.startEmbedded(pgData, 0);
        port = pg.getPort();
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(TestPostgres.urlOf(port));
        hc.setUsername(TestPostgres.user());
        hc.setMaximumPoolSize(6);
        hc.setConnectionTimeout(2_000);
        hc.setInitializationFailTimeout(-1);
        try (HikariDataSource ds = new HikariDataSource(hc);
             EventLog log = LogFixture.open(dir.resolve("log"))) {
            OutboxTables tables = OutboxTables.defaults();
            OutboxSchema.create(ds, tables);
            LogFixture.createTopic(log, "orders", 3);
            OutboxRelay relay = OutboxRelay.start(ds, log, tables, fast(), new SimpleMeterRegistry());
            AtomicInteger written = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            Thread w = writer(ds, new Outbox(tables), 600, written, stop);
            while (written.get() < 200) {
                Thread.sleep(5);
            }
            pg.close(); // fast shutdown: open connections are cut
            Thread.sleep(500);
            pg = TestPostgres.startEmbedded(pgData, port);
            w.join(Duration.ofSeconds(90));
            assertThat(written.get()).isEqualTo(600);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (OutboxAdmin.stats(ds, tables).pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            relay.close();
            List<LogRecord> records = LogFixture.readAll(log, "orders");
            List<String> payloads = OutboxRelayTest.payloads(records);
            // At least once: a commit lost in the restart may publish a row twice, never zero times.
            assertThat(new java.util.HashSet<>(payloads)).hasSize(600);
            OutboxRelayTest.assertPerKeyOrderAllowingRepeats(records);
        } finally {
            pg.close();
        }
    }
}
