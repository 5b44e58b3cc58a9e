package io.tributary.kafka;

import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.LogProducer;
import io.tributary.testbroker.KafkaTestBroker;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Shared helpers: one in-JVM broker for every test class of this module, unique names, small I/O helpers. */
final class KafkaTestSupport {

    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

    private KafkaTestSupport() {
    }

    static KafkaTestBroker broker() {
        return KafkaTestBroker.shared();
    }

    static EventLog openLog() {
        return EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                KafkaLogConfig.BOOTSTRAP_SERVERS, broker().bootstrapServers()));
    }

    static String unique(String purpose) {
        return purpose + "-" + RUN + "-" + NAMES.incrementAndGet();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String text(byte[] b) {
        return b == null ? "<null>" : new String(b, StandardCharsets.UTF_8);
    }

    static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("not acknowledged: " + e, e);
        }
    }

    static List<AppendResult> append(LogProducer p, String topic, List<Record> records) {
        List<CompletableFuture<AppendResult>> fs = new ArrayList<>();
        records.forEach(r -> fs.add(p.append(topic, r)));
        return fs.stream().map(KafkaTestSupport::await).toList();
    }

    static List<LogRecord> pollAtLeast(LogConsumer c, int count, Duration limit) {
        List<LogRecord> out = new ArrayList<>();
        long deadline = System.nanoTime() + limit.toNanos();
        while (out.size() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("expected " + count + " records within " + limit + ", got " + out.size());
            }
            out.addAll(c.poll(Duration.ofMillis(200)));
        }
        return out;
    }
}
