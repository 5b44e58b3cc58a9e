package io.tributary.log.internal;

import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What the storage side of the embedded engine offers the consumer side: read access to every partition, and a
 * signal when anything is appended. Implemented by the storage side; thread-safe.
 */
public interface PartitionReads {

    /** Names of existing topics. */
    Set<String> topics();

    /** Partition count of a topic; {@code TOPIC_NOT_FOUND} if it does not exist. */
    int partitionCount(String topic);

    /** Oldest stored offset. {@code TOPIC_NOT_FOUND} / {@code PARTITION_OUT_OF_RANGE} as applicable. */
    long startOffset(TopicPartition tp);

    /** Offset the next appended record will get; every offset below it is acknowledged and readable. */
    long endOffset(TopicPartition tp);

    /**
     * Records from {@code offset} on, in offset order: at most {@code maxRecords}, and stopping before
     * {@code maxBytes} of record bytes would be exceeded, except that the first record is always returned. Empty at
     * the end. Only acknowledged records are returned. {@code OFFSET_OUT_OF_RANGE} if {@code offset} is below the
     * start or above the end. An offset removed by compaction is skipped to the next stored record.
     */
    List<LogRecord> read(TopicPartition tp, long offset, int maxRecords, long maxBytes);

    /**
     * {@link #read(TopicPartition, long, int, long) read} with the byte budget in {@code bytesLeft[0]}, from which the
     * bytes of the records returned ({@link LogRecord#sizeInBytes()} each) are taken off: a caller reading several
     * partitions into one budget then need not measure every record again. The first record is still always
     * returned, so {@code bytesLeft[0]} may end below zero. The storage side counts the bytes as it decodes the
     * records; this default measures them.
     */
    default List<LogRecord> read(TopicPartition tp, long offset, int maxRecords, long[] bytesLeft) {
        List<LogRecord> got = read(tp, offset, maxRecords, bytesLeft[0]);
        for (LogRecord r : got) {
            bytesLeft[0] -= r.sizeInBytes();
        }
        return got;
    }

    /** First offset whose record timestamp is {@code >= timestamp}; empty if none. */
    OptionalLong offsetForTimestamp(TopicPartition tp, long timestamp);

    /**
     * A counter that increases whenever records become readable anywhere (or a topic is created or deleted).
     * Used with {@link #awaitChange} to long-poll without busy waiting.
     */
    long changeCount();

    /**
     * Blocks until {@link #changeCount()} differs from {@code seen}, or {@code timeoutNanos} pass. Returns the
     * current count.
     */
    long awaitChange(long seen, long timeoutNanos) throws InterruptedException;
}
