package io.tributary.projection.internal;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import io.tributary.projection.LogTopicSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Lag of a topic: end offset minus checkpoint per partition (exact, two offset requests per sample), and the
 * timestamp of the first record at or after the checkpoint of each lagging partition. That record is read once per
 * checkpoint value and cached, so a projection stuck on a batch costs no reads after the first sample. Owns one
 * consumer (manual assignment, no group); sampler thread only.
 */
final class LogTopicLagProbe implements LagProbe {

    private static final Duration READ_DEADLINE = Duration.ofSeconds(2);

    private final LogTopicSource source;
    private final LogConsumer consumer;
    private final Map<TopicPartition, long[]> oldest = new HashMap<>(); // {from offset, timestamp}
    private List<TopicPartition> partitions = List.of();

    LogTopicLagProbe(LogTopicSource source, String clientId) {
        this.source = source;
        this.consumer = source.log().consumer(ConsumerConfig.defaults().withClientId(clientId)
                .withMaxPollRecords(100));
    }

    @Override
    public Map<String, PartitionLag> sample(Object owner, Map<String, Long> checkpoints, long events) {
        if (partitions.isEmpty()) {
            int n = consumer.partitionCount(source.topic());
            List<TopicPartition> parts = new ArrayList<>(n);
            for (int p = 0; p < n; p++) {
                parts.add(new TopicPartition(source.topic(), p));
            }
            partitions = List.copyOf(parts);
        }
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        Map<TopicPartition, Long> from = new HashMap<>();
        Map<TopicPartition, Long> behind = new HashMap<>();
        Map<TopicPartition, Long> unknownOldest = new HashMap<>();
        for (TopicPartition tp : partitions) {
            long f = Math.max(checkpoints.getOrDefault(LogTopicReader.name(tp), 0L), begin.getOrDefault(tp, 0L));
            long b = Math.max(0, end.getOrDefault(tp, 0L) - f);
            from.put(tp, f);
            behind.put(tp, b);
            long[] cached = oldest.get(tp);
            if (b == 0) {
                oldest.remove(tp);
            } else if (cached == null || cached[0] != f) {
                unknownOldest.put(tp, f);
            }
        }
        if (!unknownOldest.isEmpty()) {
            readFirstRecords(unknownOldest);
        }
        Map<String, PartitionLag> out = new HashMap<>();
        for (TopicPartition tp : partitions) {
            long b = behind.get(tp);
            long[] cached = oldest.get(tp);
            long ts = b == 0 || cached == null || cached[0] != from.get(tp) ? -1 : cached[1];
            out.put(LogTopicReader.name(tp), new PartitionLag(b, ts, true));
        }
        return out;
    }

    /** Reads the first record at or after each partition's offset, within a deadline; fills {@link #oldest}. */
    private void readFirstRecords(Map<TopicPartition, Long> offsets) {
        consumer.assign(offsets.keySet());
        offsets.forEach(consumer::seek);
        consumer.resume(offsets.keySet());
        Set<TopicPartition> missing = new HashSet<>(offsets.keySet());
        long deadline = System.nanoTime() + READ_DEADLINE.toNanos();
        while (!missing.isEmpty() && System.nanoTime() < deadline) {
            for (LogRecord r : consumer.poll(Duration.ofMillis(100))) {
                TopicPartition tp = r.topicPartition();
                if (missing.remove(tp)) {
                    oldest.put(tp, new long[] {offsets.get(tp), r.timestamp()});
                    consumer.pause(List.of(tp));
                }
            }
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
