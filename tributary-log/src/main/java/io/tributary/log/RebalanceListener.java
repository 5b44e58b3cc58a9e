package io.tributary.log;

import java.util.Collection;

/**
 * Told when a group member's partitions change. Both methods run on the consumer's own thread, inside
 * {@link LogConsumer#poll}: revoked first (commit what you processed there), then assigned.
 */
public interface RebalanceListener {

    /** These partitions are being taken away; commit their progress now if you want it kept. */
    void onPartitionsRevoked(Collection<TopicPartition> partitions);

    /** These partitions are now this member's; positions start at the committed offsets. */
    void onPartitionsAssigned(Collection<TopicPartition> partitions);

    /** A listener that does nothing. */
    RebalanceListener NONE = new RebalanceListener() {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        }
    };
}
