package io.tributary.projection.internal;

import io.tributary.core.Headers;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import io.tributary.projection.LogTopicSource;
import io.tributary.projection.ProjectionLag;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads every partition of a topic by manual assignment (no group), seeking to the projection's own checkpoints.
 * Partition names are {@code topic/partition}; positions are next offsets to read.
 */
final class LogTopicReader implements SourceReader<LogRecord> {

    private final LogTopicSource source;
    private final LogConsumer consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();

    LogTopicReader(LogTopicSource source, String clientId, int maxPollRecords) {
        this.source = source;
        this.consumer = source.log().consumer(ConsumerConfig.defaults().withClientId(clientId)
                .withMaxPollRecords(maxPollRecords));
    }

    static String name(TopicPartition tp) {
        return tp.topic() + "/" + tp.partition();
    }

    private static List<TopicPartition> partitionsOf(LogConsumer consumer, String topic) {
        int n = consumer.partitionCount(topic);
        List<TopicPartition> out = new ArrayList<>(n);
        for (int p = 0; p < n; p++) {
            out.add(new TopicPartition(topic, p));
        }
        return out;
    }

    @Override
    public Map<String, Long> seek(Map<String, Long> checkpoints) {
        partitions.addAll(partitionsOf(consumer, source.topic()));
        consumer.assign(partitions);
        Map<String, Long> start = new HashMap<>();
        for (TopicPartition tp : partitions) {
            Long cp = checkpoints.get(name(tp));
            if (cp == null) {
                consumer.seekToBeginning(List.of(tp));
            } else {
                consumer.seek(tp, cp);
            }
            start.put(name(tp), consumer.position(tp));
        }
        return start;
    }

    @Override
    public Batch<LogRecord> poll(int max, Duration wait, @Nullable Map<String, Long> limits) {
        if (limits != null) {
            Set<TopicPartition> atLimit = new HashSet<>();
            for (TopicPartition tp : partitions) {
                if (consumer.position(tp) >= limits.getOrDefault(name(tp), 0L)) {
                    atLimit.add(tp);
                }
            }
            consumer.pause(atLimit);
            List<TopicPartition> below = new ArrayList<>(partitions);
            below.removeAll(atLimit);
            consumer.resume(below);
        } else if (!consumer.paused().isEmpty()) {
            consumer.resume(partitions);
        }
        List<LogRecord> records = consumer.poll(wait);
        if (records.isEmpty()) {
            return Batch.empty();
        }
        List<LogRecord> kept = new ArrayList<>(Math.min(records.size(), max));
        Map<String, Long> positions = new HashMap<>();
        Set<TopicPartition> cut = new HashSet<>();
        for (LogRecord r : records) {
            TopicPartition tp = r.topicPartition();
            long limit = limits == null ? Long.MAX_VALUE : limits.getOrDefault(name(tp), 0L);
            if (cut.contains(tp) || r.offset() >= limit || kept.size() >= max) {
                if (cut.add(tp)) {
                    // Give the rest back: the next poll reads this partition again from here.
                    consumer.seek(tp, r.offset());
                }
                continue;
            }
            kept.add(r);
            positions.put(name(tp), r.offset() + 1);
        }
        return new Batch<>(kept, positions);
    }

    @Override
    public String partitionOf(LogRecord event) {
        return event.topic() + "/" + event.partition();
    }

    @Override
    public long positionOf(LogRecord event) {
        return event.offset();
    }

    @Override
    public Headers headersOf(LogRecord event) {
        return event.headers();
    }

    @Override
    public LogRecord asLogRecord(LogRecord event) {
        return event;
    }

    @Override
    public String topic() {
        return source.topic();
    }

    @Override
    public long timestampOf(LogRecord event) {
        return event.timestamp();
    }

    @Override
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close();
    }

    /** Exact lag: end offsets minus checkpoints; time from the first unapplied record of each partition. */
    static ProjectionLag lag(LogTopicSource source, Map<String, Long> checkpoints, boolean withTime) {
        EventLog log = source.log();
        try (LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("projection-lag")
                .withMaxPollRecords(1))) {
            List<TopicPartition> parts = partitionsOf(consumer, source.topic());
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<String, Long> byPartition = new HashMap<>();
            long total = 0;
            long oldest = Long.MAX_VALUE;
            for (TopicPartition tp : parts) {
                long from = Math.max(checkpoints.getOrDefault(name(tp), 0L), begin.getOrDefault(tp, 0L));
                long behind = Math.max(0, end.getOrDefault(tp, 0L) - from);
                byPartition.put(name(tp), behind);
                total += behind;
                if (behind > 0 && withTime) {
                    consumer.assign(List.of(tp));
                    consumer.seek(tp, from);
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    List<LogRecord> got = List.of();
                    while (got.isEmpty() && System.nanoTime() < deadline) {
                        got = consumer.poll(Duration.ofMillis(100));
                    }
                    if (!got.isEmpty()) {
                        oldest = Math.min(oldest, got.getFirst().timestamp());
                    }
                }
            }
            Duration time = total == 0 || oldest == Long.MAX_VALUE ? Duration.ZERO
                    : Duration.ofMillis(Math.max(0, System.currentTimeMillis() - oldest));
            return new ProjectionLag(total, time, true, byPartition);
        }
    }
}
