package io.tributary.bench.internal;

import io.tributary.log.Durability;
import java.time.Duration;

/**
 * The few operations the log workloads need, so the same workload code drives our EventLog SPI (embedded or Kafka
 * backend) and raw kafka-clients. Implementations add no buffering or batching of their own: each call maps to one
 * call of the underlying client ({@link Sender#sendAll} to one bulk call where the client's API has one and the client
 * is configured to use it, else one call per record).
 */
public interface LogClient extends AutoCloseable {

    /** Who this is, for the report, e.g. {@code embedded} or {@code kafka-clients}. */
    String label();

    /** Whether topics can be created in this durability mode (raw Kafka has no fsync interval of its own). */
    boolean supports(Durability durability);

    void createTopic(String topic, int partitions, Durability durability);

    /** How {@link Sender#sendAll} reaches the client, for the report, e.g. {@code send() per record}. */
    String appendCalls();

    void deleteTopic(String topic);

    /**
     * The first part of this client's append throughput figures' names, given the suite's records per call: by
     * default {@link LogSuite#appendWorkload} ({@code append} or {@code appendAll<N>}); a client that appends another
     * way names its figures apart (e.g. {@code appendCb}), so no figure hides another.
     */
    default String appendWorkload(int appendBatch) {
        return LogSuite.appendWorkload(appendBatch);
    }

    /**
     * Whether the suite runs only this client's append throughput workloads: true for a second way of appending
     * through a client whose consume and latency workloads are measured already.
     */
    default boolean appendThroughputOnly() {
        return false;
    }

    /**
     * A producer tuned for throughput (batching allowed) or for latency with one record in flight (no linger), whose
     * {@link Sender#send} waits while {@code maxInFlight} records are unacknowledged. The bound is the same for every
     * client, and keeps a slow durable mode from queueing more than its delivery timeout's worth of records.
     */
    Sender newSender(Tuning tuning, int maxInFlight);

    /** A reader assigned every partition of {@code topic}, positioned at the beginning. */
    Receiver newReceiver(String topic, int partitions);

    @Override
    void close();

    /** Appends records. Thread-safe, like the producers it wraps. */
    interface Sender extends AutoCloseable {

        /**
         * Appends asynchronously, first waiting while the in-flight bound is reached; {@code partition < 0} lets the
         * client spread records. Failures are counted. The caller may change {@code value} once this returns.
         */
        void send(String topic, int partition, byte[] value);

        /**
         * Appends {@code count} keyless records whose value is {@code value}, spread by the client, asynchronously,
         * waiting while the in-flight bound is reached; failures are counted. A client with a bulk call in its
         * public API may use it (our {@code LogProducer.appendAll}, when configured to); otherwise this is
         * {@code count} calls of {@link #send}. The caller never modifies {@code value}, so it may be shared by the
         * records without a copy.
         */
        default void sendAll(String topic, byte[] value, int count) {
            for (int i = 0; i < count; i++) {
                send(topic, -1, value);
            }
        }

        /** Appends and waits for the acknowledgement. */
        void sendAndWait(String topic, int partition, byte[] value) throws Exception;

        /** Waits until every record sent before is acknowledged or failed. */
        void flush();

        /** How many asynchronous appends failed so far. */
        long failures();

        /** The first failure, to explain a broken run. */
        java.util.Optional<Throwable> firstFailure();

        @Override
        void close();
    }

    /** Reads records. One thread only, like the consumers it wraps. */
    interface Receiver extends AutoCloseable {

        /** Polls once and hands each record's value to {@code sink}; returns how many there were. */
        int poll(Duration timeout, ValueSink sink);

        @Override
        void close();
    }

    /** What a producer is tuned for; Kafka producers get {@code linger.ms=5} only for throughput, as in the peer run. */
    enum Tuning {
        THROUGHPUT,
        LATENCY
    }

    @FunctionalInterface
    interface ValueSink {
        void accept(byte[] value);
    }
}
