package io.tributary.processing.internal;

import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.TopicPartition;
import io.tributary.log.TransactionalProducer;
import java.util.Map;

/**
 * {@link CorrelatingProducer} for a {@link TransactionalProducer}: appends are stamped, transaction calls pass through.
 * Thread-safety, order and atomicity are the delegate's.
 */
public final class CorrelatingTransactionalProducer extends CorrelatingProducer implements TransactionalProducer {

    private final TransactionalProducer delegate;

    public CorrelatingTransactionalProducer(TransactionalProducer delegate) {
        super(delegate);
        this.delegate = delegate;
    }

    @Override
    public void beginTransaction() {
        delegate.beginTransaction();
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group) {
        delegate.sendOffsetsToTransaction(offsets, group);
    }

    @Override
    public void commitTransaction() {
        delegate.commitTransaction();
    }

    @Override
    public void abortTransaction() {
        delegate.abortTransaction();
    }
}
