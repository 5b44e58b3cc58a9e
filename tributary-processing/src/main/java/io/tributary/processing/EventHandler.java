package io.tributary.processing;

import io.tributary.log.LogRecord;

/**
 * Handles one event at a time.
 *
 * <p><b>Threads:</b> called on virtual threads, concurrently for different keys (and partitions), never concurrently
 * for two events of the same key in one partition. Implementations must be thread-safe across keys; blocking I/O is
 * fine. <b>Order:</b> for one key in one partition, calls happen in offset order, each after the previous one
 * returned. <b>Outcome:</b> returning normally completes the event (it may then be committed); throwing fails the
 * attempt, which is retried by the processor's {@link RetryPolicy}. An event may be handled again after a crash or
 * rebalance (at-least-once), so handlers should be idempotent.
 */
@FunctionalInterface
public interface EventHandler {

    /** Handles one event; throw to fail this attempt. */
    void handle(LogRecord event) throws Exception;
}
