package io.tributary.log;

/**
 * Where an acknowledged record landed.
 *
 * @param topic     topic name
 * @param partition partition number
 * @param offset    the offset the log assigned
 * @param timestamp the record's timestamp as stored
 */
public record AppendResult(String topic, int partition, long offset, long timestamp) {

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }
}
