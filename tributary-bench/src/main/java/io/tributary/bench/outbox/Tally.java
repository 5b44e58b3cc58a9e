package io.tributary.bench.outbox;

import java.util.concurrent.TimeUnit;

/**
 * Counts events a relay delivered, in batches, with the time of the first and the last batch: the drain rate is
 * the events after the first batch divided by the time from the first batch to the last (the same rule for our relay
 * and for Debezium, whose batches differ in size). Thread-safe.
 */
final class Tally {

    private long count;
    private long firstBatch;
    private long firstNanos;
    private long lastNanos;

    synchronized void batch(int events, long nanos) {
        if (events <= 0) {
            return;
        }
        if (count == 0) {
            firstNanos = nanos;
            firstBatch = events;
        }
        count += events;
        lastNanos = nanos;
        notifyAll();
    }

    synchronized long count() {
        return count;
    }

    /** Waits until at least {@code expected} events arrived; false on timeout. */
    synchronized boolean await(long expected, long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (count < expected) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return true;
    }

    /** Events per second from the first batch to the last. */
    synchronized double firstToLastRate() {
        double seconds = (lastNanos - firstNanos) / 1e9;
        return seconds <= 0 ? Double.NaN : (count - firstBatch) / seconds;
    }

    /** Events per second from {@code startNanos} (the relay started) to the last batch. */
    synchronized double totalRate(long startNanos) {
        double seconds = (lastNanos - startNanos) / 1e9;
        return seconds <= 0 ? Double.NaN : count / seconds;
    }

    synchronized double firstBatchMillisAfter(long startNanos) {
        return (firstNanos - startNanos) / 1e6;
    }
}
