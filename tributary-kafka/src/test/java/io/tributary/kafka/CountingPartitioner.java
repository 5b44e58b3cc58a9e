package io.tributary.kafka;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Partitioner;
import org.apache.kafka.common.Cluster;

/**
 * A Kafka partitioner that puts every record in partition 0 and counts, per topic, the records it was asked to place:
 * for tests that a user's {@code partitioner.class} is used for every record. Thread-safe. Public, with a
 * no-argument constructor, because Kafka instantiates it by class name.
 */
public final class CountingPartitioner implements Partitioner {

    private static final Map<String, AtomicInteger> PLACED = new ConcurrentHashMap<>();

    /** How many records of {@code topic} a producer configured with this partitioner asked it to place. */
    static int placed(String topic) {
        AtomicInteger n = PLACED.get(topic);
        return n == null ? 0 : n.get();
    }

    @Override
    public int partition(String topic, Object key, byte[] keyBytes, Object value, byte[] valueBytes, Cluster cluster) {
        PLACED.computeIfAbsent(topic, t -> new AtomicInteger()).incrementAndGet();
        return 0;
    }

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public void close() {
    }
}
