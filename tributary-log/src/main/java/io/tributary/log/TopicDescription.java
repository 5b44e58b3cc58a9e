package io.tributary.log;

import java.util.List;

/**
 * A topic as it stands: its partitions with their offsets, and its config.
 *
 * @param name       topic name
 * @param partitions one entry per partition, ordered by partition number
 * @param config     the topic's config overrides and effective values
 */
public record TopicDescription(String name, List<PartitionDescription> partitions, TopicConfig config) {

    public TopicDescription {
        partitions = List.copyOf(partitions);
    }

    public int partitionCount() {
        return partitions.size();
    }

    /** Sum over partitions of end minus start offset. */
    public long recordCountEstimate() {
        return partitions.stream().mapToLong(p -> p.endOffset() - p.startOffset()).sum();
    }
}
