package io.tributary.bench.outbox;

import java.util.Collection;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * Commit-to-publish latency, matched by event id: a writer reports when its {@code commit()} returned, the relay (or
 * Debezium's handler) reports when it published the event. Either may come first: the relay can see a committed row
 * before the writer's {@code commit()} call has returned to it. Such an event is recorded as 0 (and counted in
 * {@link #publishedBeforeCommitReturned()}), since the relay cannot publish before the commit itself.
 *
 * <p>Thread-safe. Times are {@link System#nanoTime()} of this JVM; values are recorded in microseconds.
 */
final class CommitLatency {

    private static final long MAX_MICROS = TimeUnit.MINUTES.toMicros(10);

    private record Stamp(boolean commit, long nanos) {
    }

    private final ConcurrentHashMap<UUID, Stamp> unmatched = new ConcurrentHashMap<>();
    private final Histogram histogram = new Histogram(MAX_MICROS, 3);
    private final AtomicLong early = new AtomicLong();

    void committed(UUID eventId, long nanos) {
        unmatched.compute(eventId, (id, other) -> {
            if (other == null || other.commit()) {
                return new Stamp(true, nanos);
            }
            record(other.nanos() - nanos);
            return null;
        });
    }

    void published(Collection<UUID> eventIds, long nanos) {
        for (UUID id : eventIds) {
            published(id, nanos);
        }
    }

    void published(UUID eventId, long nanos) {
        unmatched.compute(eventId, (id, other) -> {
            if (other == null) {
                return new Stamp(false, nanos);
            }
            if (!other.commit()) {
                return other; // published again (at least once): the first publish counts
            }
            record(nanos - other.nanos());
            return null;
        });
    }

    private void record(long deltaNanos) {
        if (deltaNanos < 0) {
            early.incrementAndGet();
        }
        long micros = Math.min(MAX_MICROS, Math.max(0, deltaNanos / 1000));
        synchronized (histogram) {
            histogram.recordValue(micros);
        }
    }

    long matched() {
        synchronized (histogram) {
            return histogram.getTotalCount();
        }
    }

    long publishedBeforeCommitReturned() {
        return early.get();
    }

    /** Percentile in milliseconds (100 = max). */
    double percentileMillis(double percentile) {
        synchronized (histogram) {
            if (histogram.getTotalCount() == 0) {
                return Double.NaN;
            }
            long us = percentile >= 100 ? histogram.getMaxValue() : histogram.getValueAtPercentile(percentile);
            return us / 1000.0;
        }
    }
}
