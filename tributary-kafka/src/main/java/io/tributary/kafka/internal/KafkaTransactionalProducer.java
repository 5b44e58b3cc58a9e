package io.tributary.kafka.internal;

import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.LogErrors;
import io.tributary.log.TopicPartition;
import io.tributary.log.TransactionalProducer;
import io.tributary.core.ConflictException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;

/**
 * {@link TransactionalProducer} on Kafka's transactional producer: appends and consumer offsets of one transaction
 * become visible atomically to {@code read_committed} consumers. Creating one calls {@code initTransactions}, which
 * fences any older producer with the same transactional id. One thread runs a transaction at a time.
 */
final class KafkaTransactionalProducer extends KafkaLogProducer implements TransactionalProducer {

    private final String transactionalId;
    private volatile boolean inTransaction;

    KafkaTransactionalProducer(Properties properties, TopicCatalog catalog, KafkaErrors errors, long maxBlockMs,
                               Consumer<AutoCloseable> onClose) {
        super(properties, catalog, errors, maxBlockMs, onClose);
        this.transactionalId = properties.getProperty(org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            producer.close();
            throw failed(e, "initialize transactions");
        }
    }

    @Override
    public void beginTransaction() {
        checkOpen();
        try {
            producer.beginTransaction();
            inTransaction = true;
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, "begin a transaction");
        }
    }

    @Override
    public void sendOffsetsToTransaction(Map<TopicPartition, Long> offsets, ConsumerGroupMetadata group) {
        checkOpen();
        Map<org.apache.kafka.common.TopicPartition, OffsetAndMetadata> kafkaOffsets = new HashMap<>();
        offsets.forEach((tp, o) -> kafkaOffsets.put(new org.apache.kafka.common.TopicPartition(tp.topic(), tp.partition()),
                new OffsetAndMetadata(o)));
        try {
            producer.sendOffsetsToTransaction(kafkaOffsets, new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(
                    group.groupId(), group.generationId(), group.memberId(), Optional.empty()));
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, "add offsets of group '" + group.groupId() + "' to the transaction");
        }
    }

    @Override
    public void commitTransaction() {
        checkOpen();
        try {
            producer.commitTransaction();
            inTransaction = false;
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, "commit the transaction");
        }
    }

    @Override
    public void abortTransaction() {
        checkOpen();
        try {
            producer.abortTransaction();
            inTransaction = false;
        } catch (KafkaException | IllegalStateException e) {
            throw failed(e, "abort the transaction");
        }
    }

    @Override
    void checkCanAppend(String topic) {
        if (!inTransaction) {
            throw new ConflictException(LogErrors.TRANSACTION_FAILED, "Cannot append to topic '" + topic
                    + "' outside a transaction (transactional id '" + transactionalId + "'): a transactional producer "
                    + "appends only between beginTransaction() and commitTransaction() or abortTransaction().");
        }
    }

    private TributaryException failed(RuntimeException e, String what) {
        String full = what + " (transactional id '" + transactionalId + "')";
        if (e instanceof IllegalStateException) {
            return new ConflictException(LogErrors.TRANSACTION_FAILED, "Cannot " + full + ": " + e.getMessage()
                    + "; call beginTransaction before appending, and commit or abort before the next begin.", e);
        }
        TributaryException t = errors.translate(e, full, 60_000);
        if (t.code().equals(io.tributary.core.ErrorCode.UNAVAILABLE)) {
            return new ConflictException(LogErrors.TRANSACTION_FAILED, t.getMessage()
                    + " Abort the transaction and retry it.", e);
        }
        return t;
    }
}
