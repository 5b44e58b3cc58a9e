package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import org.jspecify.annotations.Nullable;

/** One fetched event awaiting completion. Owned by the poll loop thread; not thread-safe. */
final class PendingEvent {

    final LogRecord record;
    final Object key;
    final long arrivalNanos;
    /**
     * {@link LogRecord#sizeInBytes()}, computed once here: it walks the headers (UTF-8 length of each key), and a
     * waiting event is measured again on every dispatch pass that considers it for a batch (about 2% of the demo's
     * CPU when it was computed there).
     */
    final int sizeInBytes;
    boolean done;
    /**
     * A partial batch handler left this event to be handed again in a call of its own: the next batch that takes it
     * holds only it ({@link PartitionWork#takeBatch}).
     */
    boolean alone;
    /** The key's scheduling state while the event is in {@link PartitionWork}; null for a redrive's copy. */
    PartitionWork.@Nullable KeySlot slot;

    PendingEvent(LogRecord record, Object key, long arrivalNanos) {
        this.record = record;
        this.key = key;
        this.arrivalNanos = arrivalNanos;
        this.sizeInBytes = record.sizeInBytes();
    }
}
