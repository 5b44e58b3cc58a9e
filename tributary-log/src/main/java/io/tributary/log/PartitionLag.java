package io.tributary.log;

/**
 * How far a group is behind on one partition.
 *
 * @param partition       the partition
 * @param committedOffset the group's committed offset (next record to read), or -1 if none
 * @param endOffset       the partition's end offset
 */
public record PartitionLag(TopicPartition partition, long committedOffset, long endOffset) {

    /** End offset minus committed offset; the whole partition if nothing is committed. */
    public long lag() {
        return committedOffset < 0 ? endOffset : Math.max(0, endOffset - committedOffset);
    }
}
