package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a subscription reads. Immutable.
 *
 * @param bufferSize   most events read but not yet handled (default 1024). When the buffer is full the reader stops
 *                     reading until the handler drains it: a slow handler slows the subscription, never the writers,
 *                     and nothing is dropped.
 * @param batchSize    most events fetched per read (default 256)
 * @param pollInterval how long a live subscription waits before looking for events appended by other processes
 *                     (default 50 ms); appends through the same store instance wake it at once
 */
public record SubscriptionConfig(int bufferSize, int batchSize, Duration pollInterval) {

    public SubscriptionConfig {
        Objects.requireNonNull(pollInterval, "pollInterval");
        List<String> problems = new ArrayList<>();
        if (bufferSize < 1) {
            problems.add("bufferSize=" + bufferSize + " must be at least 1 (default 1024)");
        }
        if (batchSize < 1) {
            problems.add("batchSize=" + batchSize + " must be at least 1 (default 256)");
        }
        if (pollInterval.toMillis() < 1) {
            problems.add("pollInterval=" + pollInterval + " must be at least 1 ms (default 50 ms)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid subscription config: " + String.join("; ", problems));
        }
    }

    public static SubscriptionConfig defaults() {
        return new SubscriptionConfig(1024, 256, Duration.ofMillis(50));
    }

    public SubscriptionConfig withBufferSize(int v) {
        return new SubscriptionConfig(v, batchSize, pollInterval);
    }

    public SubscriptionConfig withBatchSize(int v) {
        return new SubscriptionConfig(bufferSize, v, pollInterval);
    }

    public SubscriptionConfig withPollInterval(Duration v) {
        return new SubscriptionConfig(bufferSize, batchSize, v);
    }
}
