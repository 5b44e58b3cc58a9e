package io.tributary.bench.pipeline;

import java.util.Optional;

/**
 * One system the pipeline suite measures: a way to create topics, a producer ({@link Feed}) and a consumer side that
 * runs the benchmark's handler and commits ({@link Consumption}). Implemented for our processor over any
 * {@link io.tributary.log.EventLog} ({@link ProcessorPipeline}) and for a plain kafka-clients poll loop
 * ({@link KafkaClientsPipeline}).
 *
 * <p><b>Thread-safety:</b> the suite drives a system from one thread; a {@link Feed} is used by one thread.
 */
interface PipelineSystem extends AutoCloseable {

    /** How the report names it, e.g. {@code embedded}. */
    String label();

    void createTopic(String topic, int partitions);

    void deleteTopic(String topic);

    /**
     * A producer. {@code latencyTuning} selects the settings for paced latency runs (on Kafka: {@code linger.ms=0})
     * rather than those for throughput runs ({@code linger.ms=5}, {@code batch.size=65536}).
     */
    Feed feed(boolean latencyTuning);

    /**
     * Starts consuming {@code topic} from its beginning as group {@code group}, running {@code work} per event
     * ({@code batched} false) or per batch, and committing every commit interval.
     */
    Consumption start(String topic, String group, boolean batched, HandlerWork work);

    @Override
    void close();

    /** Appends keyed records, at most a bounded number unacknowledged at once (the call blocks at the bound). */
    interface Feed extends AutoCloseable {

        /** Appends; the caller may reuse {@code key} and {@code value} once this returns. */
        void send(String topic, byte[] key, byte[] value);

        /**
         * Appends the first {@code count} records ({@code keys[i]}, {@code values[i]}) in one call where the system's
         * producer API has one ({@code LogProducer.appendAll}); by default one {@link #send} each. Counts as
         * {@code count} records against the bound. The caller may reuse the arrays once this returns.
         */
        default void sendAll(String topic, byte[][] keys, byte[][] values, int count) {
            for (int i = 0; i < count; i++) {
                send(topic, keys[i], values[i]);
            }
        }

        /** Blocks until every record sent so far is acknowledged or failed. */
        void flush();

        /** Acknowledgements that failed so far, and the first failure. */
        long failures();

        Optional<Throwable> firstFailure();

        @Override
        void close();
    }

    /** A running consumer side: its handler calls and commits happen on its own threads. */
    interface Consumption extends AutoCloseable {

        /** Partitions it currently owns (it joined its group once this is the topic's partition count). */
        int assignedPartitions();

        /** The sum over partitions of the last committed offsets: events committed, as topics start at offset 0. */
        long committed();

        /** Why it stopped on its own, if it did. */
        Optional<String> failure();

        /** Stops: finishes in-flight work, commits and leaves the group. */
        @Override
        void close();
    }
}
