package io.tributary.processing.internal;

import io.tributary.log.LogRecord;

/** One fetched event awaiting completion. Owned by the poll loop thread; not thread-safe. */
final class PendingEvent {

    final LogRecord record;
    final Object key;
    final long arrivalNanos;
    boolean done;

    PendingEvent(LogRecord record, Object key, long arrivalNanos) {
        this.record = record;
        this.key = key;
        this.arrivalNanos = arrivalNanos;
    }
}
