package io.tributary.processing;

import io.tributary.core.Record;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.GroupDescription;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.PartitionLag;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Shared test plumbing: a real embedded log, keyed records whose value is their sequence number within the key. */
final class Fixtures {

    private Fixtures() {
    }

    static EventLog openLog(Path dir) {
        return EventLogs.open(Map.of("tributary.log.backend", "embedded",
                "tributary.log.embedded.data-dir", dir.toString()));
    }

    static void createTopic(EventLog log, String topic, int partitions) {
        log.admin().createTopic(NewTopic.of(topic, partitions));
    }

    static String key(LogRecord r) {
        return new String(r.key(), StandardCharsets.UTF_8);
    }

    static int seq(LogRecord r) {
        return Integer.parseInt(new String(r.value(), StandardCharsets.UTF_8));
    }

    /** Appends {@code perKey} records for each key, round-robin over keys, each valued by its index within its key. */
    static Map<String, Integer> produce(EventLog log, String topic, List<String> keys, int perKey) throws Exception {
        return produce(log, topic, keys, 0, perKey);
    }

    static Map<String, Integer> produce(EventLog log, String topic, List<String> keys, int fromSeq, int toSeq)
            throws Exception {
        try (LogProducer producer = log.producer()) {
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = fromSeq; i < toSeq; i++) {
                for (String k : keys) {
                    acks.add(producer.append(topic, Record.of(k.getBytes(StandardCharsets.UTF_8),
                            Integer.toString(i).getBytes(StandardCharsets.UTF_8))));
                }
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
        Map<String, Integer> counts = new HashMap<>();
        keys.forEach(k -> counts.put(k, toSeq - fromSeq));
        return counts;
    }

    /** Appends {@code count} records of one key to partition 0. */
    static void produceToPartition(EventLog log, String topic, String key, int count) throws Exception {
        try (LogProducer producer = log.producer()) {
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                acks.add(producer.append(topic, 0, Record.of(key.getBytes(StandardCharsets.UTF_8),
                        Integer.toString(i).getBytes(StandardCharsets.UTF_8))));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }

    /** The group's committed offset of a partition as stored by the log, or -1. */
    static long committed(EventLog log, String group, TopicPartition tp) {
        GroupDescription g = log.admin().describeGroup(group);
        return g.offsets().stream().filter(p -> p.partition().equals(tp)).mapToLong(PartitionLag::committedOffset)
                .findFirst().orElse(-1);
    }

    static void await(String what, Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out after " + timeout + " waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** A config tuned for tests: quick commits and short timeouts. */
    static ProcessorConfig config(String name, String topic) {
        return ProcessorConfig.of(name, topic).withCommitInterval(Duration.ofMillis(20))
                .withShutdownTimeout(Duration.ofSeconds(10));
    }
}
