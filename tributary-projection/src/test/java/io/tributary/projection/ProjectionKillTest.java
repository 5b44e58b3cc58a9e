package io.tributary.projection;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A projection's JVM killed with SIGKILL in the middle of its batches leaves a read model that matches its stored
 * checkpoint, and the restarted projection applies every event exactly once. Repeated three times on one log so that
 * the kills land at different points; each kill comes once the child has committed 400 more events.
 */
@Tag("slow")
@Timeout(180)
class ProjectionKillTest {

    @TempDir
    Path dir;

    @Test
    void aProjectionKilledMidBatchResumesAtItsCommittedRowsAndAppliesEveryEventOnce() throws Exception {
        TestDatabase db = TestDatabase.POSTGRESQL;
        db.dataSource();
        String prefix = TestDatabase.unique("tp");
        String table = TestDatabase.unique("seen");
        Path logDir = dir.resolve("log");
        try {
            try (EventLog log = Fixtures.openLog(logDir)) {
                Fixtures.createTopic(log, "orders", 3);
                Fixtures.produce(log, "orders", 0, 3000);
            }
            long previous = -1;
            for (int round = 1; round <= 3; round++) {
                long killAt = Long.MAX_VALUE;
                Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-cp", System.getProperty("java.class.path"), KillChild.class.getName(), db.url, db.user,
                        prefix, table, logDir.toString()).redirectErrorStream(true).start();
                StringBuilder seen = new StringBuilder();
                try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    String line;
                    long applied = -1;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("COMMITTED ")) {
                            applied = Long.parseLong(line.substring(10));
                            if (killAt == Long.MAX_VALUE) {
                                killAt = applied + 400; // the child's first line is what it resumed from
                            }
                            if (applied >= killAt) {
                                break;
                            }
                        } else {
                            seen.append(line).append('\n');
                        }
                    }
                    assertThat(applied).as("child output:\n%s", seen).isGreaterThanOrEqualTo(killAt)
                            .isLessThan(Long.MAX_VALUE);
                    child.destroyForcibly(); // SIGKILL
                    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                }
                // Rows and checkpoint compared within one statement (one snapshot): a COMMIT the killed JVM had sent
                // can still complete on the server after it died, between two separate counts.
                String rowCount = "(SELECT COUNT(*) FROM " + table + "_v1)";
                assertThat(db.count("SELECT " + rowCount + " - (SELECT COALESCE(SUM(event_count), 0) FROM " + prefix
                        + "_checkpoints)")).as("round %d: committed rows minus the checkpoint's count", round).isZero();
                assertThat(db.count("SELECT " + rowCount + " - (SELECT COALESCE(SUM(next_position), 0) FROM " + prefix
                        + "_checkpoints)")).as("round %d: committed rows minus the checkpoint's positions", round)
                        .isZero();
                long rows = db.count("SELECT COUNT(*) FROM " + table + "_v1");
                assertThat(db.count("SELECT COUNT(*) - COUNT(DISTINCT event) FROM " + table + "_v1"))
                        .as("no event twice").isZero();
                assertThat(rows).isGreaterThan(previous);
                previous = rows;
            }

            try (EventLog log = Fixtures.openLog(logDir);
                 Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                         Fixtures.rowsPerEvent(table), Fixtures.insertRows(table),
                         ProjectionConfig.of("killed").withCatalogPrefix(prefix).withMaxBatchEvents(50))) {
                assertThat(p.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
                ExactlyOnceTest.assertExactlyOnce(db, table + "_v1", 3000);
            }
        } finally {
            db.drop(prefix, List.of(table + "_v1"));
        }
    }
}
