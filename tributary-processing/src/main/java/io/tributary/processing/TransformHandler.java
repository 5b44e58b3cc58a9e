package io.tributary.processing;

import io.tributary.core.Record;
import io.tributary.log.LogRecord;

/**
 * The consume-transform-produce step of a {@link TransactionalProcessor}: reads one event and emits any number of
 * output records. Outputs go into the processor's current log transaction together with the consumed offsets, so
 * they become visible to {@code read_committed} consumers exactly once, or not at all if the transaction aborts.
 *
 * <p><b>Threads and order:</b> called on the processor's single thread, for each partition in offset order. Throwing
 * aborts the transaction (discarding what this and earlier events of the transaction emitted); the transaction's
 * events are then transformed again per the processor's {@link RetryPolicy}. Side effects outside the log are not in
 * the transaction and may repeat.
 */
@FunctionalInterface
public interface TransformHandler {

    /** Transforms {@code event}, emitting its outputs through {@code out}. */
    void transform(LogRecord event, Emitter out) throws Exception;

    /** Where a {@link TransformHandler} emits outputs. Valid only during the call it was passed to. */
    @FunctionalInterface
    interface Emitter {
        /** Appends {@code record} to {@code topic} (partitioned by key) inside the current transaction. */
        void emit(String topic, Record record);
    }
}
