package io.tributary.processing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tributary.log.EventLog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child JVM of {@link DedupeCrashTest}: a processor over the embedded log (on disk) whose handler writes one effect
 * row per event through {@link JdbcHandlers#transactional} with a {@link JdbcDedupeStore}.
 *
 * <p>Args: logDir jdbcUrl user dedupeTable effectsTable processor phase. Phase {@code kill} commits offsets only every
 * ten minutes (so every event it handled is redelivered after the kill, making the dedupe store do real work), prints
 * {@code APPLIED n} as it goes and waits to be killed. Phase {@code finish} runs until the group has no lag, closes
 * cleanly and prints {@code DONE calls=<handler calls> skipped=<calls the dedupe store skipped>}.
 */
public final class DedupeCrashChild {

    private DedupeCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path logDir = Path.of(args[0]);
        String processor = args[5];
        boolean kill = args[6].equals("kill");
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(args[1]);
        hc.setUsername(args[2]);
        hc.setMaximumPoolSize(40);
        try (HikariDataSource ds = new HikariDataSource(hc); EventLog log = Fixtures.openLog(logDir)) {
            JdbcDedupeStore store = JdbcDedupeStore.create(ds, args[3], InstantSource.system());
            // Each row names the run that wrote it, so the parent can count the killed run's rows once every commit
            // it sent has landed (a COMMIT in flight when the JVM died still completes on the server).
            String insert = "INSERT INTO " + args[4] + " (event_value, position, run) VALUES (?, ?, ?)";
            AtomicInteger calls = new AtomicInteger();
            AtomicInteger innerCalls = new AtomicInteger();
            AtomicInteger applied = new AtomicInteger();
            EventHandler effect = JdbcHandlers.transactional(ds, store, processor, (event, c) -> {
                innerCalls.incrementAndGet();
                try (PreparedStatement ps = c.prepareStatement(insert)) {
                    ps.setString(1, new String(event.value(), StandardCharsets.UTF_8));
                    ps.setString(2, event.topicPartition() + "@" + event.offset());
                    ps.setString(3, args[6]);
                    ps.executeUpdate();
                }
                Thread.sleep(2); // slow enough that the parent kills it while events are in flight
                applied.incrementAndGet();
            });
            ProcessorConfig config = ProcessorConfig.of(processor, "orders").withConcurrencyPerPartition(8)
                    .withCommitInterval(kill ? Duration.ofMinutes(10) : Duration.ofMillis(50));
            Processor p = Processor.start(log, config, event -> {
                calls.incrementAndGet();
                effect.handle(event);
            });
            if (kill) {
                while (true) {
                    System.out.println("APPLIED " + applied.get());
                    System.out.flush();
                    Thread.sleep(10);
                }
            }
            Fixtures.await("no lag", Duration.ofSeconds(60),
                    () -> log.admin().describeGroup(processor).totalLag() == 0);
            p.close();
            System.out.println("DONE calls=" + calls.get() + " skipped=" + (calls.get() - innerCalls.get())
                    + " state=" + p.state());
        }
    }
}
