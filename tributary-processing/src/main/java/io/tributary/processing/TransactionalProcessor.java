package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import io.tributary.processing.internal.TransactionalRuntime;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An exactly-once consume-transform-produce processor for backends with
 * {@link io.tributary.log.Capability#TRANSACTIONS} (Kafka). Each poll's events are transformed in one log transaction
 * that holds their outputs and the group's consumed offsets, committed atomically: a {@code read_committed} consumer
 * of the outputs sees each event's outputs exactly once, even if the processor is killed mid-transaction and restarted
 * (the restarted instance's producer fences its predecessor and aborts the open transaction).
 *
 * <p><b>Ordering:</b> one thread per instance handles its assigned partitions; events of a partition are transformed
 * in offset order, and outputs of one key keep that order. (No per-key concurrency: this runtime favours a simple
 * sequential loop over parallelism; run more instances for more throughput.)
 * <b>Failures:</b> a failing transform aborts the transaction and the same events are transformed again per
 * {@link ProcessorConfig#retry()}; after the last attempt the processor stops ({@link #failure()}) without committing
 * them. A failed commit (e.g. a rebalance moved a partition) aborts and the uncommitted events are read again.
 * <b>Thread-safety:</b> this object is thread-safe. <b>Durability:</b> the log's transactions.
 *
 * <p>Settings used from {@link ProcessorConfig}: name (group), topics, retry, pollTimeout, shutdownTimeout and
 * consumer (forced to {@code read_committed}); the concurrency, buffering and batching settings do not apply. A
 * {@link ProcessorConfig#beforeOffsetCommit()} hook is refused: this runtime commits offsets inside the log
 * transaction, so a hook could not run between its outputs and its offsets.
 */
public final class TransactionalProcessor implements AutoCloseable {

    private final ProcessorConfig config;
    private final TransactionalRuntime runtime;

    private TransactionalProcessor(ProcessorConfig config, TransactionalRuntime runtime) {
        this.config = config;
        this.runtime = runtime;
    }

    /**
     * Joins the group and starts. The transactional id is {@code <name>.<instanceId>}: give each concurrently running
     * instance of this processor a distinct, stable {@code instanceId} (e.g. a pod ordinal) so that a restarted
     * instance fences its killed predecessor at once instead of waiting for the transaction timeout.
     *
     * @throws io.tributary.core.InvalidRequestException with {@code CAPABILITY_UNSUPPORTED} if the backend has no
     *         transactions (the embedded engine), with {@code INVALID_CONFIG} if the config has a
     *         {@link ProcessorConfig#beforeOffsetCommit()} hook
     */
    public static TransactionalProcessor start(EventLog log, ProcessorConfig config, String instanceId,
                                               TransformHandler handler) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(handler, "handler");
        if (config.beforeOffsetCommit() != BeforeOffsetCommit.NOTHING) {
            // Silently ignoring a hook meant to make effects durable would lose them without a word.
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid processor config for '"
                    + config.name() + "': a TransactionalProcessor commits its offsets in the log transaction with "
                    + "its outputs, so it does not run beforeOffsetCommit (" + config.beforeOffsetCommit() + "); "
                    + "its transform writes only to the log. Drop the hook, or use Processor.start for a handler "
                    + "with effects outside the log");
        }
        return new TransactionalProcessor(config, new TransactionalRuntime(log, config, instanceId, handler));
    }

    public ProcessorConfig config() {
        return config;
    }

    public ProcessorState state() {
        return runtime.state();
    }

    /** Why the processor stopped on its own; empty while running or after a clean close. */
    public Optional<ProcessorFailure> failure() {
        return runtime.failure();
    }

    /** The offsets committed by this instance's transactions, per partition (the next offset to read). */
    public Map<TopicPartition, Long> committedOffsets() {
        return runtime.committedOffsets();
    }

    /** How many transactions this instance committed. */
    public long committedTransactions() {
        return runtime.committedTransactions();
    }

    public boolean awaitTermination(Duration timeout) {
        return runtime.awaitTermination(timeout);
    }

    /** Stops after the current transaction (committing it if it completes within the shutdown timeout). Idempotent. */
    @Override
    public void close() {
        runtime.close();
    }
}
