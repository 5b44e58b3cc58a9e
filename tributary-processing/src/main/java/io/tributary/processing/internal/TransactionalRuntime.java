package io.tributary.processing.internal;

import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import io.tributary.log.TransactionalProducer;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.ProcessorFailure;
import io.tributary.processing.ProcessorState;
import io.tributary.processing.TransformHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine behind {@link io.tributary.processing.TransactionalProcessor}: one platform thread owns the consumer and
 * the transactional producer and loops poll, begin, transform each record in order, send the next offsets with the
 * group's metadata, commit. Nothing runs concurrently, so a transaction is never open while the consumer polls and
 * rebalance callbacks never meet a half-done transaction.
 *
 * <p>A handler failure aborts the transaction and transforms the same records again in a new one, as the retry
 * policy allows. A log failure (a fenced producer aside) aborts, seeks every partition of the batch back to the batch's
 * first offset there (the consumer's position had moved past records whose outputs were just discarded) and returns to
 * poll, which also picks up a new assignment.
 */
public final class TransactionalRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(TransactionalRuntime.class);

    private final ProcessorConfig config;
    private final TransformHandler handler;
    private final LogConsumer consumer;
    private final TransactionalProducer producer;
    private final String transactionalId;
    private final Thread thread;
    private volatile ProcessorState state = ProcessorState.RUNNING;
    private volatile boolean closeRequested;
    private volatile @Nullable ProcessorFailure failure;
    private volatile Map<TopicPartition, Long> committedOffsets = Map.of();
    private volatile long committedTransactions;

    public TransactionalRuntime(EventLog log, ProcessorConfig config, String instanceId, TransformHandler handler) {
        if (!log.capabilities().contains(Capability.TRANSACTIONS)) {
            throw log.unsupported(Capability.TRANSACTIONS);
        }
        this.config = config;
        this.handler = handler;
        this.transactionalId = config.name() + "." + instanceId;
        // Creating the producer fences an older one with this id and aborts its open transaction, before we read.
        this.producer = log.transactionalProducer(transactionalId, ProducerConfig.defaults());
        try {
            this.consumer = log.consumer(config.effectiveConsumerConfig().withReadCommitted(true));
        } catch (RuntimeException e) {
            producer.close();
            throw e;
        }
        try {
            consumer.subscribe(config.topics(), RebalanceListener.NONE);
        } catch (RuntimeException e) {
            consumer.close();
            producer.close();
            throw e;
        }
        this.thread = Thread.ofPlatform().name("tributary-tx-processor-" + transactionalId).unstarted(this::run);
        thread.start();
    }

    public ProcessorState state() {
        return state;
    }

    public Optional<ProcessorFailure> failure() {
        return Optional.ofNullable(failure);
    }

    public Map<TopicPartition, Long> committedOffsets() {
        return committedOffsets;
    }

    public long committedTransactions() {
        return committedTransactions;
    }

    public void close() {
        closeRequested = true;
        consumer.wakeup();
        awaitTermination(config.shutdownTimeout().plusSeconds(5));
    }

    public boolean awaitTermination(Duration timeout) {
        if (Thread.currentThread() == thread) {
            return false;
        }
        try {
            return thread.join(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private void run() {
        try {
            while (!closeRequested && failure == null) {
                List<LogRecord> records = consumer.poll(config.pollTimeout());
                if (!records.isEmpty()) {
                    processWithRetries(records);
                }
            }
        } catch (RuntimeException | Error e) {
            LOG.error("Transactional processor '{}' stopped: the log failed", transactionalId, e);
            String why = e instanceof RuntimeException r && isFenced(r)
                    ? "another instance started with the same transactional id '" + transactionalId + "' and fenced "
                            + "this one; that is expected when this instance was replaced, otherwise give each "
                            + "concurrently running instance its own instanceId"
                    : "the log failed: " + e + "; check that the topics " + config.topics() + " exist and the broker "
                            + "is reachable, then start it again";
            failure = new ProcessorFailure("Transactional processor '" + transactionalId + "' stopped because " + why
                    + " (nothing uncommitted is visible to read_committed consumers)", e, Optional.empty(),
                    OptionalLong.empty(), 0);
        }
        state = ProcessorState.STOPPING;
        try {
            consumer.close();
        } catch (RuntimeException e) {
            LOG.warn("Transactional processor '{}' could not close its consumer cleanly", transactionalId, e);
        }
        try {
            producer.close();
        } catch (RuntimeException e) {
            LOG.warn("Transactional processor '{}' could not close its producer cleanly", transactionalId, e);
        }
        state = failure == null ? ProcessorState.STOPPED : ProcessorState.FAILED;
    }

    /** Runs one poll's records as a transaction, again after a handler failure as the retry policy allows. */
    private void processWithRetries(List<LogRecord> records) {
        int attempts = 0;
        while (true) {
            attempts++;
            Throwable handlerFailure;
            try {
                handlerFailure = transact(records);
            } catch (EventFilterFailure.Thrown filterFailed) {
                // Not a log failure: reading the events again would throw again, forever. Nothing of this transaction
                // is visible; the processor stops at the event the filter threw on.
                abortAndRewind(records);
                failure = filterFailed.failure();
                LOG.error(failure.message(), filterFailed.getCause());
                return;
            } catch (RuntimeException logFailure) {
                abortAndRewind(records);
                if (isFenced(logFailure)) {
                    throw logFailure;
                }
                LOG.warn("Transactional processor '{}': transaction of {} events failed in the log ({}); aborted, the "
                        + "events are read again", transactionalId, records.size(), logFailure.toString());
                return;
            }
            if (handlerFailure == null) {
                return;
            }
            // The same records are transformed again right here, so the consumer's position (already past them) stays;
            // rewinding as well would make the next poll read them a second time.
            abort();
            if (closeRequested || !config.retry().shouldRetry(handlerFailure, attempts)) {
                if (!closeRequested) {
                    LogRecord first = records.getFirst();
                    failure = new ProcessorFailure("Transactional processor '" + transactionalId + "' stopped: its "
                            + "handler failed in a transaction starting at " + first.topicPartition() + "@"
                            + first.offset() + " after " + attempts + " attempt(s) with " + handlerFailure + ". The "
                            + "transaction was aborted, so none of its outputs or offsets are visible; fix the handler "
                            + "(or the data) and start the processor again.", handlerFailure,
                            Optional.of(first.topicPartition()), OptionalLong.of(first.offset()), attempts);
                    LOG.error(failure.message(), handlerFailure);
                }
                return;
            }
            try {
                Thread.sleep(config.retry().delayAfter(attempts));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One transaction; returns the handler's failure (after which the caller aborts), null when committed. */
    private @Nullable Throwable transact(List<LogRecord> records) {
        ConsumerGroupMetadata group = consumer.groupMetadata().orElseThrow(() -> new IllegalStateException(
                "consumer of '" + transactionalId + "' has no group metadata"));
        producer.beginTransaction();
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        TransformHandler.Emitter out = (topic, record) -> appends.add(producer.append(topic, checked(record)));
        Map<TopicPartition, Long> next = new LinkedHashMap<>();
        for (LogRecord r : records) {
            if (!EventFilterFailure.accepts(transactionalId, config.eventFilter(), r)) {
                next.put(r.topicPartition(), r.offset() + 1);   // filtered out: committed with the rest, not transformed
                continue;
            }
            try {
                handler.transform(r, out);
            } catch (Throwable t) {
                return t;
            }
            next.put(r.topicPartition(), r.offset() + 1);
        }
        producer.sendOffsetsToTransaction(next, group);
        producer.commitTransaction();
        for (CompletableFuture<AppendResult> a : appends) {
            a.join(); // complete after a successful commit; a failed append would have failed the commit
        }
        committedTransactions++;
        Map<TopicPartition, Long> all = new TreeMap<>(committedOffsets);
        all.putAll(next);
        committedOffsets = Map.copyOf(all);
        return null;
    }

    private static Record checked(Record record) {
        if (record == null) {
            throw new NullPointerException("emitted record");
        }
        return record;
    }

    private void abort() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            LOG.debug("Transactional processor '{}': abort failed (the transaction may not have begun)",
                    transactionalId, e);
        }
    }

    /** Aborts and moves the consumer back to the batch's first records, so the next poll reads them again. */
    private void abortAndRewind(List<LogRecord> records) {
        abort();
        Map<TopicPartition, Long> first = new LinkedHashMap<>();
        for (LogRecord r : records) {
            first.putIfAbsent(r.topicPartition(), r.offset());
        }
        Collection<TopicPartition> owned = consumer.assignment();
        first.forEach((tp, offset) -> {
            if (owned.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
    }

    /**
     * Whether another producer with our transactional id took over (a newer instance started): retrying is pointless,
     * this instance must stop. Matched by the cause's class name because the log API has no code for it and this
     * module must not depend on a backend's client library (on Kafka the cause is ProducerFencedException).
     */
    private static boolean isFenced(RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String name = t.getClass().getSimpleName();
            if (name.contains("Fenced")) {
                return true;
            }
        }
        return false;
    }
}
