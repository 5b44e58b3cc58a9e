package io.tributary.processing;

import io.tributary.log.TopicPartition;
import java.util.Objects;

/**
 * How full one partition's buffer is, as last observed by the processor's poll loop. Immutable and
 * thread-safe; a snapshot (no ordering with events handled since), held in memory only.
 *
 * @param partition the partition
 * @param held      events held: fetched and not yet completed-and-released (buffered plus in flight)
 * @param inFlight  events handed to a handler and not yet finished
 * @param capacity  the bound, {@link ProcessorConfig#maxBufferedPerPartition()}; {@code held <= capacity} always
 * @param paused    whether fetching from this partition is paused because the buffer filled
 */
public record BufferFill(TopicPartition partition, int held, int inFlight, int capacity, boolean paused) {

    public BufferFill {
        Objects.requireNonNull(partition, "partition");
    }

    /** {@code held / capacity}, from 0.0 to 1.0. */
    public double ratio() {
        return (double) held / capacity;
    }
}
