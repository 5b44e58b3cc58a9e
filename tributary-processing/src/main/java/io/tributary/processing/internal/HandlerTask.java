package io.tributary.processing.internal;

import io.tributary.log.LogRecord;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One handler call (an event or a batch) with its retries, run on its own virtual thread. The poll loop creates it
 * and reads its outcome only after taking it from the completion queue, which orders the virtual thread's writes
 * before those reads.
 */
final class HandlerTask {

    final PartitionWork work;
    final List<PendingEvent> events;
    final List<LogRecord> records;
    @Nullable Thread thread;
    int attempts;
    @Nullable Throwable failure;

    HandlerTask(PartitionWork work, List<PendingEvent> events) {
        this.work = work;
        this.events = events;
        this.records = events.stream().map(e -> e.record).toList();
    }

    boolean succeeded() {
        return failure == null;
    }
}
