package io.tributary.processing;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.LogRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A processor's settings (in memory only; nothing here is persisted). Immutable and thread-safe; {@code with*} methods return copies. All problems are reported at
 * once, in one {@link InvalidRequestException} with code {@code INVALID_CONFIG}.
 *
 * @param name                    the processor's name: its consumer group id and client id
 * @param topics                  topics to process, at least one
 * @param concurrencyPerPartition most handler calls (events or batches) in flight at once per partition, each for
 *                                distinct keys; default 16 (1 processes a partition strictly sequentially)
 * @param maxBufferedPerPartition most events held per partition, fetched but not yet completed; when reached the
 *                                partition is paused and resumed once it drained to half; default 1000
 * @param maxBatchEvents          most events per {@link BatchHandler} call; default 500 (ignored by
 *                                {@link EventHandler}s, which always get one)
 * @param maxBatchBytes           about the most bytes (key, value, headers) per batch; a single larger event still
 *                                forms a batch; default 1048576 (1 MiB)
 * @param maxBatchWait            longest an event waits for its batch to fill before the batch is handed over
 *                                anyway; default 5 ms (ignored by {@link EventHandler}s)
 * @param retry                   how failed handler calls are retried; default {@link RetryPolicy#defaults()}
 * @param commitInterval          how often progress is committed while running; default 1 s (progress is also
 *                                committed on revoke and on close)
 * @param pollTimeout             longest one poll of the log waits for records; default 100 ms
 * @param revokeTimeout           on a rebalance, how long in-flight work of revoked partitions may finish before
 *                                they are released anyway; default 10 s, must be below the session timeout
 * @param shutdownTimeout         on {@link Processor#close()}, how long in-flight work may finish; default 30 s
 * @param consumer                settings of the underlying consumer; its group id and client id are replaced by
 *                                {@code name}; default {@link ConsumerConfig#defaults()}
 * @param deadLetter              what happens when an event's last attempt fails; default
 *                                {@link DeadLetterPolicy#sequenced()} (dead-letter topic {@code <name>.dlq}, later
 *                                events of the key parked behind it)
 * @param telemetry               metrics, tracing and MDC; default {@link ProcessorTelemetry#defaults()} (no metrics,
 *                                the global OpenTelemetry, MDC on)
 * @param handlerThreads          which threads run handler calls; default {@link HandlerThreads#virtual()} (a virtual
 *                                thread per call in flight); {@link HandlerThreads#platform(int)} for handlers that
 *                                compute in the process
 * @param eventFilter             which events the handler is called with; default {@link #EVERY_EVENT}. An event for
 *                                which it is false completes at once on the poll loop, without a handler call, a
 *                                task or a thread: it is never retried, dead-lettered or parked, and its offset is
 *                                committed like a handled event's (once every event below it completed). It runs on
 *                                the poll loop thread for every fetched event, so it must be cheap, must not block
 *                                and must not throw (test a header such as the event type, not the payload).
 *                                Like {@link RetryPolicy#nonRetryable()}, it takes part in {@code equals} and
 *                                {@code toString} as the object it is: two configs are equal only with the same
 *                                filter instance (a lambda written twice is two filters); give it a {@code toString}
 *                                to name it in logs and in the failure a throwing filter causes
 * @param beforeOffsetCommit      runs on the poll loop before each offset commit (interval, revoke and close), after
 *                                the offsets were taken and before they are sent: makes the handler's effects durable
 *                                once per commit (see {@link BeforeOffsetCommit}); if it throws, that commit is
 *                                skipped and retried on the next interval. Default {@link BeforeOffsetCommit#NOTHING}.
 *                                Like {@link #eventFilter()}, it takes part in {@code equals} and {@code toString} as
 *                                the object it is; give it a {@code toString} to name it in logs
 */
public record ProcessorConfig(String name, List<String> topics, int concurrencyPerPartition,
                              int maxBufferedPerPartition, int maxBatchEvents, long maxBatchBytes,
                              Duration maxBatchWait, RetryPolicy retry, Duration commitInterval, Duration pollTimeout,
                              Duration revokeTimeout, Duration shutdownTimeout, ConsumerConfig consumer,
                              DeadLetterPolicy deadLetter, ProcessorTelemetry telemetry,
                              HandlerThreads handlerThreads, Predicate<LogRecord> eventFilter,
                              BeforeOffsetCommit beforeOffsetCommit) {

    /** Accepts every event: the default {@link #eventFilter()}. */
    public static final Predicate<LogRecord> EVERY_EVENT = new Predicate<>() {
        @Override
        public boolean test(LogRecord event) {
            return true;
        }

        @Override
        public String toString() {
            return "EVERY_EVENT";
        }
    };

    public ProcessorConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(topics, "topics");
        Objects.requireNonNull(maxBatchWait, "maxBatchWait");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(commitInterval, "commitInterval");
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(revokeTimeout, "revokeTimeout");
        Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
        Objects.requireNonNull(consumer, "consumer");
        Objects.requireNonNull(deadLetter, "deadLetter");
        Objects.requireNonNull(telemetry, "telemetry");
        Objects.requireNonNull(handlerThreads, "handlerThreads");
        Objects.requireNonNull(eventFilter, "eventFilter");
        Objects.requireNonNull(beforeOffsetCommit, "beforeOffsetCommit");
        topics = List.copyOf(topics);
        List<String> problems = new ArrayList<>();
        if (name.isBlank()) {
            problems.add("name is blank; name the processor, e.g. 'billing' (it is the consumer group id)");
        }
        if (topics.isEmpty()) {
            problems.add("topics is empty; name at least one topic to process, e.g. List.of(\"orders\")");
        }
        for (String t : topics) {
            if (t.isBlank()) {
                problems.add("topics " + topics + " contains a blank name");
            }
        }
        if (concurrencyPerPartition < 1) {
            problems.add("concurrencyPerPartition=" + concurrencyPerPartition + " must be at least 1 (default 16)");
        }
        if (maxBufferedPerPartition < 1) {
            problems.add("maxBufferedPerPartition=" + maxBufferedPerPartition + " must be at least 1 (default 1000)");
        }
        if (maxBatchEvents < 1) {
            problems.add("maxBatchEvents=" + maxBatchEvents + " must be at least 1 (default 500)");
        }
        if (maxBatchBytes < 1) {
            problems.add("maxBatchBytes=" + maxBatchBytes + " must be at least 1 (default 1048576)");
        }
        if (maxBatchWait.isNegative()) {
            problems.add("maxBatchWait=" + maxBatchWait + " must not be negative (default 5 ms)");
        }
        if (commitInterval.toMillis() < 1) {
            problems.add("commitInterval=" + commitInterval + " must be at least 1 ms (default 1 s)");
        }
        if (pollTimeout.toMillis() < 1) {
            problems.add("pollTimeout=" + pollTimeout + " must be at least 1 ms (default 100 ms)");
        }
        if (revokeTimeout.isNegative() || revokeTimeout.compareTo(consumer.sessionTimeout()) >= 0) {
            problems.add("revokeTimeout=" + revokeTimeout + " must be non-negative and below the consumer's "
                    + "sessionTimeout=" + consumer.sessionTimeout() + " (default 10 s)");
        }
        if (shutdownTimeout.isNegative()) {
            problems.add("shutdownTimeout=" + shutdownTimeout + " must not be negative (default 30 s)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid processor config"
                    + (name.isBlank() ? "" : " for '" + name + "'") + ": " + String.join("; ", problems));
        }
    }

    /** The settings without an event filter ({@link #EVERY_EVENT}); kept so existing callers compile unchanged. */
    public ProcessorConfig(String name, List<String> topics, int concurrencyPerPartition,
                           int maxBufferedPerPartition, int maxBatchEvents, long maxBatchBytes,
                           Duration maxBatchWait, RetryPolicy retry, Duration commitInterval, Duration pollTimeout,
                           Duration revokeTimeout, Duration shutdownTimeout, ConsumerConfig consumer,
                           DeadLetterPolicy deadLetter, ProcessorTelemetry telemetry,
                           HandlerThreads handlerThreads) {
        this(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents, maxBatchBytes,
                maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, EVERY_EVENT, BeforeOffsetCommit.NOTHING);
    }

    /** The settings without a {@link #beforeOffsetCommit()} hook; kept so existing callers compile unchanged. */
    public ProcessorConfig(String name, List<String> topics, int concurrencyPerPartition,
                           int maxBufferedPerPartition, int maxBatchEvents, long maxBatchBytes,
                           Duration maxBatchWait, RetryPolicy retry, Duration commitInterval, Duration pollTimeout,
                           Duration revokeTimeout, Duration shutdownTimeout, ConsumerConfig consumer,
                           DeadLetterPolicy deadLetter, ProcessorTelemetry telemetry,
                           HandlerThreads handlerThreads, Predicate<LogRecord> eventFilter) {
        this(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents, maxBatchBytes,
                maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter, BeforeOffsetCommit.NOTHING);
    }

    /** Defaults for a processor named {@code name} over {@code topics}. */
    public static ProcessorConfig of(String name, String... topics) {
        return new ProcessorConfig(name, List.of(topics), 16, 1000, 500, 1_048_576L, Duration.ofMillis(5),
                RetryPolicy.defaults(), Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofSeconds(10),
                Duration.ofSeconds(30), ConsumerConfig.defaults(), DeadLetterPolicy.sequenced(),
                ProcessorTelemetry.defaults(), HandlerThreads.virtual(), EVERY_EVENT, BeforeOffsetCommit.NOTHING);
    }

    /** The consumer settings the processor actually uses: {@link #consumer()} with group and client id = name. */
    public ConsumerConfig effectiveConsumerConfig() {
        return consumer.withGroupId(name).withClientId(name);
    }

    public ProcessorConfig withConcurrencyPerPartition(int v) {
        return new ProcessorConfig(name, topics, v, maxBufferedPerPartition, maxBatchEvents, maxBatchBytes,
                maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withMaxBufferedPerPartition(int v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, v, maxBatchEvents, maxBatchBytes,
                maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    /** Sets the batch limits: events, bytes and wait, whichever is reached first. */
    public ProcessorConfig withBatching(int events, long bytes, Duration wait) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, events, bytes,
                wait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withRetry(RetryPolicy v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, v, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withCommitInterval(Duration v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, v, pollTimeout, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withPollTimeout(Duration v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, v, revokeTimeout, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withRevokeTimeout(Duration v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, v, shutdownTimeout, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withShutdownTimeout(Duration v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, v, consumer,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    public ProcessorConfig withConsumer(ConsumerConfig v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout, v,
                deadLetter, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    /** Sets what happens when an event's last attempt fails, e.g. {@link DeadLetterPolicy#stopProcessor()}. */
    public ProcessorConfig withDeadLetter(DeadLetterPolicy v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout,
                consumer, v, telemetry, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    /** The dead-letter topic this processor writes to ({@link DeadLetterPolicy#topicFor(String)}). */
    public String deadLetterTopic() {
        return deadLetter.topicFor(name);
    }

    public ProcessorConfig withTelemetry(ProcessorTelemetry v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout,
                consumer, deadLetter, v, handlerThreads, eventFilter,
                beforeOffsetCommit);
    }

    /** Sets which threads run handler calls, e.g. {@code HandlerThreads.platform(2)} for in-process CPU work. */
    public ProcessorConfig withHandlerThreads(HandlerThreads v) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout,
                consumer, deadLetter, telemetry, v, eventFilter, beforeOffsetCommit);
    }

    /**
     * Hands the handler only the events {@code filter} accepts; the others complete at once on the poll loop, with no
     * handler call (see {@link #eventFilter()}). Cheaper than returning early from the handler, which still costs a
     * task, a thread hand-off and a completion per event. E.g. {@code e -> "OrderPlaced".equals(
     * e.headers().eventType().orElse(""))} on a topic that carries several event types.
     */
    public ProcessorConfig withEventFilter(Predicate<LogRecord> filter) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout,
                consumer, deadLetter, telemetry, handlerThreads, filter, beforeOffsetCommit);
    }

    /**
     * Runs {@code hook} on the poll loop before each offset commit, after the offsets were taken and before they are
     * sent, to make the handler's effects durable once per commit instead of once per write (see
     * {@link BeforeOffsetCommit}). E.g. H2's {@code CHECKPOINT} for a handler writing to an embedded H2 database with
     * its default write delay.
     */
    public ProcessorConfig withBeforeOffsetCommit(BeforeOffsetCommit hook) {
        return new ProcessorConfig(name, topics, concurrencyPerPartition, maxBufferedPerPartition, maxBatchEvents,
                maxBatchBytes, maxBatchWait, retry, commitInterval, pollTimeout, revokeTimeout, shutdownTimeout,
                consumer, deadLetter, telemetry, handlerThreads, eventFilter, hook);
    }

    /** Registers the processor's meters in {@code registry} (shorthand for {@link #withTelemetry}). */
    public ProcessorConfig withMeterRegistry(MeterRegistry registry) {
        return withTelemetry(telemetry.withMeterRegistry(registry));
    }

    /** Makes the processor's consume spans with this OpenTelemetry (shorthand for {@link #withTelemetry}). */
    public ProcessorConfig withOpenTelemetry(OpenTelemetry openTelemetry) {
        return withTelemetry(telemetry.withOpenTelemetry(openTelemetry));
    }
}
