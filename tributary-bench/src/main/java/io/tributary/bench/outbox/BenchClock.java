package io.tributary.bench.outbox;

import java.time.Instant;

/**
 * The one clock of the benchmark: wall-clock nanoseconds since the epoch (microsecond resolution on Linux). Used
 * instead of {@link System#nanoTime()} because Debezium runs in a child JVM, and its handler times are compared with
 * this JVM's commit times.
 */
final class BenchClock {

    private BenchClock() {
    }

    static long nanos() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }
}
