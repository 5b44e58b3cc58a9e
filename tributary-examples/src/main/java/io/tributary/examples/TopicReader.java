package io.tributary.examples;

import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/** Reads a whole topic back, partition by partition, outside any consumer group: the checker's view of a topic. */
final class TopicReader {

    /** One record, with the headers the checks need. */
    record Read(String keyString, UUID eventId, long version, int partition, long offset) {
    }

    private TopicReader() {
    }

    /** Calls {@code sink} for every record of {@code topic} up to its end at the time of the call, in offset order per partition. */
    static void readAll(EventLog log, String topic, Consumer<Read> sink) {
        try (LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("demo-checker"))) {
            int partitions = consumer.partitionCount(topic);
            for (int p = 0; p < partitions; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long end = consumer.endOffsets(List.of(tp)).get(tp);
                long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
                while (consumer.position(tp) < end) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("Reading " + tp + " back stalled at offset "
                                + consumer.position(tp) + " of " + end + " for 2 minutes; is the log still up?");
                    }
                    for (LogRecord r : consumer.poll(Duration.ofMillis(200))) {
                        if (r.offset() >= end) {
                            continue;
                        }
                        String key = new String(Objects.requireNonNull(r.key()), StandardCharsets.UTF_8);
                        UUID id = r.headers().eventId().orElseThrow(() -> new IllegalStateException("Record " + r
                                + " has no event id header"));
                        long version = r.headers().lastString(EventSchemas.STREAM_VERSION_HEADER).map(Long::parseLong)
                                .orElse(-1L);
                        sink.accept(new Read(key, id, version, r.partition(), r.offset()));
                    }
                }
            }
        }
    }

}
