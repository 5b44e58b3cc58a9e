package io.tributary.processing;

import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import io.tributary.processing.internal.ProcessorRuntime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A running processor: a consumer group member named {@link ProcessorConfig#name()} that feeds the events of its
 * assigned partitions to a handler. Start one with {@link #start(EventLog, ProcessorConfig, EventHandler)} (one event
 * per call) or {@link #startBatched(EventLog, ProcessorConfig, BatchHandler)} (micro-batches; a separate name so a lambda
 * is never ambiguous) or {@link #startPartialBatched(EventLog, ProcessorConfig, PartialBatchHandler)} (micro-batches
 * whose failed events go again alone); stop it with {@link #close()}. {@link ProcessorConfig#eventFilter()} keeps
 * events the handler does not want away from it, at no per-event task cost.
 * Several instances with the same name (in one JVM or many) share the topics' partitions.
 *
 * <p><b>Ordering:</b> partitions are processed in parallel; within a partition, events of one key are handled strictly
 * in offset order (each call starts after the previous one for that key completed, including its retries), while
 * different keys run concurrently, at most {@link ProcessorConfig#concurrencyPerPartition()} calls per partition.
 * Events without a key count as one key. Nothing is ordered across partitions.
 *
 * <p><b>Durability (at-least-once):</b> a partition's committed offset only ever advances to its lowest event not yet
 * completed, every {@link ProcessorConfig#commitInterval()}, on revoke and on close. After a crash, a rebalance that
 * outlasts {@link ProcessorConfig#revokeTimeout()}, or a shutdown that outlasts
 * {@link ProcessorConfig#shutdownTimeout()}, events above the committed offset are delivered again (possibly some that
 * had completed), never skipped.
 *
 * <p><b>Failures:</b> a failed call is retried per {@link ProcessorConfig#retry()}; while it waits, later events of
 * that key wait too and other keys continue. What follows the last failed attempt is the
 * {@link ProcessorConfig#deadLetter()} policy: by default ({@link DeadLetterPolicy#sequenced()}) the event is written
 * to the dead-letter topic with headers describing the failure and the partition continues past it, while later
 * events of its key are parked in the same topic until an operator acts through {@link #deadLetters()} (or
 * {@code tributary dlq}); parking is rebuilt from the topic on start, so it survives restarts. With
 * {@link DeadLetterPolicy#stopProcessor()} the processor instead stops itself: it lets other in-flight calls finish,
 * commits below the failed event, leaves the group and reports {@link #failure()}.
 *
 * <p><b>Back-pressure:</b> each partition holds at most {@link ProcessorConfig#maxBufferedPerPartition()} events
 * (buffered plus in flight); at the bound the partition is paused on the consumer and resumed when half drained, so
 * memory stays bounded however fast the producer is. {@link #bufferFill()} shows each partition's fill.
 *
 * <p><b>Threads:</b> one platform thread per processor polls the log and schedules; handler calls run on virtual
 * threads. This object is thread-safe.
 */
public final class Processor implements AutoCloseable {

    private final EventLog log;
    private final ProcessorConfig config;
    private final ProcessorRuntime runtime;

    private Processor(EventLog log, ProcessorConfig config, ProcessorRuntime runtime) {
        this.log = log;
        this.config = config;
        this.runtime = runtime;
    }

    /**
     * Joins the group and starts handling events one at a time. Throws at once if the consumer cannot subscribe
     * (e.g. a bad consumer setting); the processor then does not run.
     */
    public static Processor start(EventLog log, ProcessorConfig config, EventHandler handler) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(handler, "handler");
        return new Processor(log, config, new ProcessorRuntime(log, config,
                (records, attempt) -> {
                    handler.handle(records.getFirst());
                    return List.of();
                }, false));
    }

    /** Joins the group and starts handling events in micro-batches ({@link BatchHandler} describes them). */
    public static Processor startBatched(EventLog log, ProcessorConfig config, BatchHandler handler) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(handler, "handler");
        return new Processor(log, config, new ProcessorRuntime(log, config, (records, attempt) -> {
            handler.handleBatch(records);
            return List.of();
        }, true));
    }

    /**
     * Joins the group and starts handling events in micro-batches whose events may fail alone
     * ({@link PartialBatchHandler} describes them): batched work, per-event retries and dead letters.
     */
    public static Processor startPartialBatched(EventLog log, ProcessorConfig config, PartialBatchHandler handler) {
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(handler, "handler");
        return new Processor(log, config, new ProcessorRuntime(log, config, (records, attempt) -> switch (
                Objects.requireNonNull(handler.handleBatch(records, attempt), "the handler returned no BatchOutcome")) {
            case BatchOutcome.Completed c -> List.of();
            case BatchOutcome.HandAgainAlone again -> again.events();
        }, true));
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

    /** Each assigned partition's buffer, as of the poll loop's last turn (sorted by partition). */
    public List<BufferFill> bufferFill() {
        return List.copyOf(runtime.bufferFill().values());
    }

    /** The offsets this instance last committed, per partition (the next offset to read). */
    public Map<TopicPartition, Long> committedOffsets() {
        return runtime.committedOffsets();
    }

    /** Operator actions on this processor's dead-letter queue; the same as {@code DeadLetters.of(log, config())}. */
    public DeadLetters deadLetters() {
        return DeadLetters.of(log, config);
    }

    /**
     * Open dead-letter entries (dead and parked) of the partitions this instance owns, as of the poll loop's last
     * change; 0 with {@link DeadLetterPolicy#stopProcessor()}.
     */
    public int deadLetterDepth() {
        return runtime.deadLetterDepth();
    }

    /** Keys of this instance's partitions whose new events are being parked (sequenced mode only; else 0). */
    public int parkedKeyCount() {
        return runtime.parkedKeys();
    }

    /** Waits until the processor stopped (after {@link #close()} or a failure); true if it did within the timeout. */
    public boolean awaitTermination(Duration timeout) {
        return runtime.awaitTermination(timeout);
    }

    /**
     * Stops gracefully: starts no new handler calls, lets in-flight ones finish for up to
     * {@link ProcessorConfig#shutdownTimeout()} (then interrupts them), commits what completed, and leaves the group.
     * Blocks until done. Idempotent.
     */
    @Override
    public void close() {
        runtime.close();
    }
}
