package io.tributary.projection.internal;

import io.micrometer.core.instrument.Tags;
import io.tributary.projection.EventStoreSource;

/**
 * Turns a checkpoint's source partition name ({@code orders/3}, {@code $all}) into the {@code topic} and
 * {@code partition} tags processors use too. The event store's {@code $all} is one ordered sequence: topic
 * {@code $all}, partition {@code 0}.
 */
final class PartitionTags {

    private PartitionTags() {
    }

    static String topic(String sourcePartition) {
        if (sourcePartition.equals(EventStoreSource.PARTITION)) {
            return EventStoreSource.PARTITION;
        }
        int slash = sourcePartition.lastIndexOf('/');
        return slash < 0 ? sourcePartition : sourcePartition.substring(0, slash);
    }

    static String partitionId(String sourcePartition) {
        int slash = sourcePartition.lastIndexOf('/');
        return slash < 0 ? "0" : sourcePartition.substring(slash + 1);
    }

    static Tags of(String projection, String sourcePartition) {
        return Tags.of("projection", projection, "topic", topic(sourcePartition), "partition",
                partitionId(sourcePartition));
    }
}
