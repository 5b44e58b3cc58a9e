package io.tributary.log;

import java.util.Objects;

/**
 * One partition of one topic. Immutable.
 *
 * @param topic     topic name
 * @param partition partition number, {@code >= 0}
 */
public record TopicPartition(String topic, int partition) implements Comparable<TopicPartition> {

    public TopicPartition {
        Objects.requireNonNull(topic, "topic");
        if (partition < 0) {
            throw new IllegalArgumentException("Partition " + partition + " of topic '" + topic + "' is negative; partitions are numbered from 0");
        }
    }

    @Override
    public int compareTo(TopicPartition o) {
        int c = topic.compareTo(o.topic);
        return c != 0 ? c : Integer.compare(partition, o.partition);
    }

    @Override
    public String toString() {
        return topic + "-" + partition;
    }
}
