package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A relay killed with SIGKILL after the log acknowledged its batch and before it marked the rows publishes them again
 * on restart; the inbox makes the consumer's effect happen exactly once.
 */
@Tag("slow")
@Timeout(120)
class OutboxRelayKillTest {

    @TempDir
    Path dir;

    @Test
    void relayKilledBetweenPublishAndMarkPublishesTwiceAndTheInboxAppliesOnce() throws Exception {
        TestDatabase db = TestDatabase.POSTGRESQL;
        OutboxTables tables = db.freshTables();
        String effects = tables.outbox() + "_effects";
        Path logDir = dir.resolve("log");
        try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + effects + " (event_id VARCHAR(36) PRIMARY KEY, applied_by VARCHAR(20))");
        }
        try {
            try (EventLog log = LogFixture.open(logDir)) {
                LogFixture.createTopic(log, "orders", 2);
            }
            Outbox outbox = new Outbox(tables);
            try (Connection c = db.dataSource().getConnection()) {
                c.setAutoCommit(false);
                for (int i = 0; i < 20; i++) {
                    outbox.add(c, OutboxEvent.of("orders", ("k" + i % 5).getBytes(StandardCharsets.UTF_8), "T",
                            ("a" + i).getBytes(StandardCharsets.UTF_8)));
                }
                c.commit();
            }

            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), RelayKillChild.class.getName(),
                    "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", tables.outbox(), tables.inbox(),
                    logDir.toString())
                    .redirectErrorStream(true).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                String seen = "";
                while ((line = out.readLine()) != null && !line.startsWith("PUBLISHED")) {
                    seen += line + "\n";
                }
                assertThat(line).as("child output:\n%s", seen).isEqualTo("PUBLISHED 20");
                child.destroyForcibly(); // SIGKILL
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }

            try (EventLog log = LogFixture.open(logDir)) {
                assertThat(LogFixture.readAll(log, "orders")).as("acknowledged before the kill").hasSize(20);
                assertThat(OutboxAdmin.stats(db.dataSource(), tables).pending()).as("never marked").isEqualTo(20);

                OutboxRelay relay = OutboxRelay.create(db.dataSource(), log, tables, RelayConfig.defaults(),
                        new SimpleMeterRegistry(), RelayObserver.NONE);
                assertThat(relay.relayOnce().published()).isEqualTo(20);
                relay.close();
                List<LogRecord> records = LogFixture.readAll(log, "orders");
                assertThat(records).as("every event published twice").hasSize(40);

                Inbox inbox = new Inbox(tables);
                int applied = 0;
                for (LogRecord r : records) {
                    try (Connection c = db.dataSource().getConnection()) {
                        c.setAutoCommit(false);
                        UUID id = r.headers().eventId().orElseThrow();
                        if (inbox.markProcessed(c, "payments", id)) {
                            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + effects + " VALUES (?, ?)")) {
                                ps.setString(1, id.toString());
                                ps.setString(2, "payments");
                                ps.executeUpdate();
                            }
                            applied++;
                        }
                        c.commit();
                    }
                }
                assertThat(applied).isEqualTo(20);
                try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + effects)) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(20);
                }
            }
        } finally {
            try (Connection c = db.dataSource().getConnection(); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + effects);
            }
            db.drop(tables);
        }
    }
}
