package io.tributary.projection.internal;

import io.tributary.core.Headers;
import io.tributary.log.LogRecord;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Reads a projection's source from stored checkpoints. Used by one worker thread only. Positions are per source
 * partition and compare as longs: a larger position means further along.
 */
interface SourceReader<E> extends AutoCloseable {

    /** Events and the checkpoint positions they move partitions to (partitions that did not move are absent). */
    record Batch<E>(List<E> events, Map<String, Long> positions) {
        public Batch {
            events = List.copyOf(events);
            positions = Map.copyOf(positions);
            Objects.requireNonNull(positions);
        }

        static <E> Batch<E> empty() {
            return new Batch<>(List.of(), Map.of());
        }
    }

    /** Positions the reader at the checkpoints (absent partitions: from the beginning) and returns every partition's start. */
    Map<String, Long> seek(Map<String, Long> checkpoints);

    /**
     * Reads at most {@code max} events, waiting up to {@code wait} for one. With {@code limits}, never returns an
     * event at or past a partition's limit, and never moves a position past it.
     */
    Batch<E> poll(int max, Duration wait, @Nullable Map<String, Long> limits) throws InterruptedException;

    /** Whether every partition of {@code limits} is at or past its limit in {@code positions}. */
    default boolean reached(Map<String, Long> positions, Map<String, Long> limits) {
        for (Map.Entry<String, Long> l : limits.entrySet()) {
            Long p = positions.get(l.getKey());
            if (p == null || p < l.getValue()) {
                return false;
            }
        }
        return true;
    }

    String partitionOf(E event);

    /** The event's position in its partition: a log offset, or an event store's global position. */
    long positionOf(E event);

    /** The event's headers (the event store's metadata), where {@code traceparent} and the ids travel. */
    Headers headersOf(E event);

    /**
     * The event as a log record, for {@link io.tributary.processing.ProcessingContext}: log records as they are;
     * event-store events as a view (topic {@code $all}, partition 0, offset = global position, key = stream, the
     * event id in the {@code tributary-event-id} header).
     */
    LogRecord asLogRecord(E event);

    /** What the source is called in spans and the MDC: the topic, or {@code $all}. */
    String topic();

    /** The event's timestamp, ms since the epoch. */
    long timestampOf(E event);

    /** Wakes a blocked poll; thread-safe. */
    void wakeup();

    @Override
    void close();
}
