package io.tributary.outbox;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The embedded event log the relay publishes to, and a way to read a whole topic back. */
final class LogFixture {

    private LogFixture() {
    }

    static EventLog open(Path dir) {
        return EventLogs.open(Map.of("tributary.log.backend", "embedded", "tributary.log.embedded.data-dir", dir.toString()));
    }

    static void createTopic(EventLog log, String topic, int partitions) {
        log.admin().createTopic(NewTopic.of(topic, partitions));
    }

    /** Every record of a topic, partition by partition, in offset order. */
    static List<LogRecord> readAll(EventLog log, String topic) {
        List<LogRecord> out = new ArrayList<>();
        try (LogConsumer consumer = log.consumer(ConsumerConfig.defaults())) {
            int n = consumer.partitionCount(topic);
            List<TopicPartition> parts = new ArrayList<>();
            for (int p = 0; p < n; p++) {
                parts.add(new TopicPartition(topic, p));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read topic " + topic + " to its end in 30 s");
                }
                out.addAll(consumer.poll(Duration.ofMillis(100)));
            }
        }
        return out;
    }
}
