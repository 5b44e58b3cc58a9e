package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A processor killed with SIGKILL while handling events redelivers them on restart, and the JDBC dedupe store makes
 * every event's effect happen exactly once: no event lost, none applied twice.
 */
@Tag("slow")
@Timeout(180)
class DedupeCrashTest {

    private static final int EVENTS = 2000;
    private static final TestDatabase DB = TestDatabase.POSTGRESQL;

    @TempDir
    Path dir;

    @Test
    void processorKilledMidBatchAppliesEveryEventExactlyOnceAfterRestart() throws Exception {
        DB.requireServer();
        String dedupe = TestDatabase.uniqueTable("ddcrash");
        String effects = dedupe + "_fx";
        String processor = "crash-" + dedupe;
        Path logDir = dir.resolve("log");
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement()) {
            // no unique constraint on purpose: a second application of an event would show as a second row
            s.execute("CREATE TABLE " + effects + " (event_value VARCHAR(40) NOT NULL, position VARCHAR(80) NOT NULL, "
                    + "run VARCHAR(10) NOT NULL)");
        }
        try {
            try (EventLog log = Fixtures.openLog(logDir)) {
                Fixtures.createTopic(log, "orders", 4);
                try (LogProducer producer = log.producer()) {
                    List<CompletableFuture<?>> acks = new ArrayList<>();
                    for (int i = 0; i < EVENTS; i++) {
                        acks.add(producer.append("orders", Record.of(("k" + i % 50).getBytes(StandardCharsets.UTF_8),
                                ("e" + i).getBytes(StandardCharsets.UTF_8))));
                    }
                    CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
                }
            }

            Process first = child(logDir, dedupe, effects, processor, "kill");
            String seen = readUntil(first, line -> line.startsWith("APPLIED ")
                    && Integer.parseInt(line.substring(8)) >= 400);
            first.destroyForcibly(); // SIGKILL, with handler transactions in flight
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).as("child output:\n%s", seen).isTrue();
            long appliedBeforeKill = count(effects);
            assertThat(appliedBeforeKill).as("killed part-way").isBetween(400L, (long) EVENTS - 1);

            Process second = child(logDir, dedupe, effects, processor, "finish");
            String out = readUntil(second, line -> line.startsWith("DONE "));
            assertThat(second.waitFor(60, TimeUnit.SECONDS)).isTrue();
            Matcher m = Pattern.compile("DONE calls=(\\d+) skipped=(\\d+) state=(\\w+)").matcher(
                    out.substring(out.lastIndexOf("DONE ")));
            assertThat(m.find()).as(out).isTrue();
            assertThat(m.group(3)).isEqualTo("STOPPED");
            // Nothing was committed before the kill, so every event is delivered again; exactly those applied before
            // the kill are skipped by the dedupe store. Counted now, by the run that wrote them: a COMMIT the killed
            // JVM had sent still completed on the server after the count above (400 rows then, 405 skipped: seen
            // on a loaded machine).
            assertThat(Long.parseLong(m.group(1))).as("redelivered calls").isGreaterThanOrEqualTo(EVENTS);
            assertThat(Long.parseLong(m.group(2))).as("skipped as duplicates").isEqualTo(countWrittenBy(effects, "kill"));

            Map<String, Integer> perEvent = new HashMap<>();
            try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT event_value, COUNT(*) FROM " + effects
                         + " GROUP BY event_value")) {
                while (rs.next()) {
                    perEvent.put(rs.getString(1), rs.getInt(2));
                }
            }
            assertThat(perEvent).as("every event applied").hasSize(EVENTS);
            assertThat(perEvent.entrySet()).as("no event applied twice").allMatch(e -> e.getValue() == 1);
            for (int i = 0; i < EVENTS; i++) {
                assertThat(perEvent).containsKey("e" + i);
            }
        } finally {
            DB.drop(effects);
            DB.drop(dedupe);
        }
    }

    private Process child(Path logDir, String dedupe, String effects, String processor, String phase)
            throws Exception {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DedupeCrashChild.class.getName(), logDir.toString(),
                DB.url, DB.user, dedupe, effects, processor, phase)
                .redirectErrorStream(true).start();
    }

    /** Reads the child's output until a line matches; returns everything read. Fails if the child exits first. */
    private static String readUntil(Process p, java.util.function.Predicate<String> done) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        String line;
        while ((line = out.readLine()) != null) {
            if (!line.startsWith("APPLIED ")) {
                seen.append(line).append('\n');
            }
            if (done.test(line)) {
                seen.append(line).append('\n');
                // keep draining in the background so the child never blocks on a full pipe
                Thread.ofVirtual().start(() -> {
                    try {
                        out.transferTo(java.io.Writer.nullWriter());
                    } catch (java.io.IOException ignored) {
                        // the child was killed or exited
                    }
                });
                return seen.toString();
            }
        }
        throw new AssertionError("child exited before the expected line; output:\n" + seen);
    }

    private static long count(String table) throws Exception {
        try (Connection c = DB.dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + table)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long countWrittenBy(String table, String run) throws Exception {
        try (Connection c = DB.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE run = ?")) {
            ps.setString(1, run);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
