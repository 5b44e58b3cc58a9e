package io.tributary.projection;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Shared test pieces: an embedded log, and a read model with one row per applied event and no unique key, so a
 * repeated event shows up as a second row instead of being hidden by a constraint.
 */
final class Fixtures {

    private Fixtures() {
    }

    static EventLog openLog(Path dir) {
        return EventLogs.open(Map.of("tributary.log.backend", "embedded", "tributary.log.embedded.data-dir", dir.toString()));
    }

    /** Appends {@code count} events {@code e<from>..} with keys {@code k0..k9}; values are the event numbers. */
    static void produce(EventLog log, String topic, int from, int count) {
        List<Record> records = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            records.add(Record.of(("k" + i % 10).getBytes(StandardCharsets.UTF_8),
                    ("e" + i).getBytes(StandardCharsets.UTF_8)));
        }
        var producer = log.producer();
        for (Record r : records) {
            producer.append(topic, r);
        }
        producer.flush();
    }

    static void createTopic(EventLog log, String topic, int partitions) {
        log.admin().createTopic(NewTopic.of(topic, partitions));
    }

    /** One table {@code <logical>}: (event VARCHAR, version INT). */
    static ReadModel rowsPerEvent(String logical) {
        return ReadModel.of(List.of(logical), (c, t) -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + t.name(logical) + " (event VARCHAR(64) NOT NULL, written_by INT NOT NULL)");
            }
        });
    }

    /** Inserts one row per log record, naming the version that wrote it. */
    static ProjectionHandler<LogRecord> insertRows(String logical) {
        return (events, ctx) -> {
            try (PreparedStatement ps = ctx.connection().prepareStatement("INSERT INTO " + ctx.table(logical)
                    + " (event, written_by) VALUES (?, ?)")) {
                for (LogRecord r : events) {
                    ps.setString(1, new String(r.value(), StandardCharsets.UTF_8));
                    ps.setInt(2, ctx.version());
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        };
    }

    /** Polls {@code condition} every 10 ms until it holds; fails naming {@code what} after {@code timeout}. */
    static void await(String what, java.time.Duration timeout, java.util.function.BooleanSupplier condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(10);
        }
    }
}
