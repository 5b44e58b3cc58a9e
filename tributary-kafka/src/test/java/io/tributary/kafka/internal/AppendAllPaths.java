package io.tributary.kafka.internal;

import io.tributary.log.LogProducer;

/**
 * Which path a Kafka producer's {@code appendAll} calls took, for the end-to-end tests (in another package) that must
 * know the shared-callback path was exercised, not only that the results were right.
 */
public final class AppendAllPaths {

    private AppendAllPaths() {
    }

    /** How many {@code appendAll} calls of {@code producer} (a Kafka backend's) shared one callback for all records. */
    public static long callsByArrival(LogProducer producer) {
        return ((KafkaLogProducer) producer).callsByArrival.sum();
    }
}
