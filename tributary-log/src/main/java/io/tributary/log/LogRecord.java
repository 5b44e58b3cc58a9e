package io.tributary.log;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A record as stored in the log: where it is (topic, partition, offset) and what it holds. Returned by
 * {@link LogConsumer#poll}. Immutable and thread-safe. For speed the byte arrays are <em>not</em> copied: treat them
 * as read-only.
 *
 * @param topic     topic name
 * @param partition partition number
 * @param offset    the record's offset in its partition
 * @param timestamp the record's timestamp (ms since the epoch), as given by the producer
 * @param key       key bytes, or {@code null}
 * @param value     value bytes, or {@code null} for a tombstone
 * @param headers   headers, in order
 */
public record LogRecord(String topic, int partition, long offset, long timestamp, byte @Nullable [] key,
                        byte @Nullable [] value, Headers headers) {

    public LogRecord {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(headers, "headers");
    }

    public TopicPartition topicPartition() {
        return new TopicPartition(topic, partition);
    }

    public boolean isTombstone() {
        return value == null;
    }

    /** The record without its position, e.g. to append it elsewhere. */
    public Record toRecord() {
        return new Record(key, value, headers, timestamp);
    }

    /** Bytes of key, value and headers. */
    public int sizeInBytes() {
        return (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + headers.sizeInBytes();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogRecord r && partition == r.partition && offset == r.offset && timestamp == r.timestamp
                && topic.equals(r.topic) && Arrays.equals(key, r.key) && Arrays.equals(value, r.value)
                && headers.equals(r.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(topic, partition, offset);
    }

    @Override
    public String toString() {
        return "LogRecord[" + topic + "-" + partition + "@" + offset + ", ts=" + timestamp + "]";
    }
}
