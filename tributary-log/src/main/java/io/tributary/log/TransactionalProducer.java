package io.tributary.log;

import java.util.Map;

/**
 * A producer whose appends become visible atomically, together with consumer offsets: consume-transform-produce
 * exactly once. Available where the backend declares {@link Capability#TRANSACTIONS} (Kafka); elsewhere
 * {@link EventLog#transactionalProducer} fails with {@code CAPABILITY_UNSUPPORTED}.
 *
 * <p>Not thread-safe across transactions: one thread begins, appends, and commits or aborts.
 */
public interface TransactionalProducer extends LogProducer {

    void beginTransaction();

    /** Adds the group's offsets (next offset to read per partition) to the current transaction. */
    void sendOffsetsToTransaction(Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group);

    /** Makes every append and offset of the transaction visible atomically. */
    void commitTransaction();

    /** Discards every append and offset of the transaction. */
    void abortTransaction();
}
