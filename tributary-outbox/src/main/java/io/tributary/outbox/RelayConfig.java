package io.tributary.outbox;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How an {@link OutboxRelay} works. Immutable; all problems are reported at once.
 *
 * @param relayName       shown in logs and metrics; default {@code outbox-relay}
 * @param batchSize       rows claimed per round when the outbox is not backed up; default 500
 * @param maxBatchSize    while rounds come back full (a backlog), the relay doubles the rows it claims per round up
 *                        to this many, and drops back to {@code batchSize} after the first round that is not full:
 *                        fewer, larger rounds drain a backlog faster, small ones keep live latency low. Values below
 *                        {@code batchSize} mean {@code batchSize} (no growth); default 5,000
 * @param pollInterval    longest wait between rounds while the outbox is empty: after the last rows the relay looks
 *                        again after 1 ms, then 2, 4, … up to this; on PostgreSQL a NOTIFY ends a wait early;
 *                        default 100 ms
 * @param useNotify       listen for PostgreSQL NOTIFY as a wake-up hint; default true (ignored elsewhere)
 * @param maxAttempts     a row that fails this many times for a non-transient reason is marked failed and blocks its
 *                        key until an operator retries or skips it; default 10
 * @param initialBackoff  first wait after a failure; doubles (with jitter) up to {@code maxBackoff}; default 100 ms
 * @param maxBackoff      longest wait after failures; default 30 s
 * @param publishTimeout  how long to wait for the log to acknowledge a batch; default 30 s
 * @param deleteOnPublish delete rows once published instead of marking them; default false
 * @param retention       published and skipped rows (and idle key rows) are purged after this; default 7 days
 * @param purgeInterval   how often the purge runs; default 1 min
 * @param statsInterval   how often pending/oldest/blocked gauges are refreshed; default 5 s
 */
public record RelayConfig(String relayName, int batchSize, int maxBatchSize, Duration pollInterval, boolean useNotify, int maxAttempts,
                          Duration initialBackoff, Duration maxBackoff, Duration publishTimeout,
                          boolean deleteOnPublish, Duration retention, Duration purgeInterval, Duration statsInterval) {

    public RelayConfig {
        Objects.requireNonNull(relayName, "relayName");
        List<String> problems = new ArrayList<>();
        if (relayName.isBlank()) {
            problems.add("relayName is blank");
        }
        if (batchSize < 1 || batchSize > 100_000) {
            problems.add("batchSize=" + batchSize + " must be 1..100000 (default 500)");
        }
        if (maxBatchSize < 1 || maxBatchSize > 100_000) {
            problems.add("maxBatchSize=" + maxBatchSize + " must be 1..100000 (default 5000)");
        }
        positive(problems, "pollInterval", pollInterval);
        if (maxAttempts < 1) {
            problems.add("maxAttempts=" + maxAttempts + " must be at least 1 (default 10)");
        }
        positive(problems, "initialBackoff", initialBackoff);
        positive(problems, "maxBackoff", maxBackoff);
        if (maxBackoff != null && initialBackoff != null && maxBackoff.compareTo(initialBackoff) < 0) {
            problems.add("maxBackoff=" + maxBackoff + " is below initialBackoff=" + initialBackoff);
        }
        positive(problems, "publishTimeout", publishTimeout);
        positive(problems, "retention", retention);
        positive(problems, "purgeInterval", purgeInterval);
        positive(problems, "statsInterval", statsInterval);
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid relay config: " + String.join("; ", problems));
        }
    }

    private static void positive(List<String> problems, String name, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            problems.add(name + "=" + d + " must be a positive duration");
        }
    }

    public static RelayConfig defaults() {
        return new RelayConfig("outbox-relay", 500, 5_000, Duration.ofMillis(100), true, 10, Duration.ofMillis(100),
                Duration.ofSeconds(30), Duration.ofSeconds(30), false, Duration.ofDays(7), Duration.ofMinutes(1),
                Duration.ofSeconds(5));
    }

    public RelayConfig withRelayName(String v) {
        return new RelayConfig(v, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withBatchSize(int v) {
        return new RelayConfig(relayName, v, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withMaxBatchSize(int v) {
        return new RelayConfig(relayName, batchSize, v, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    /** The largest round: {@code max(batchSize, maxBatchSize)}. */
    public int largestBatch() {
        return Math.max(batchSize, maxBatchSize);
    }

    public RelayConfig withPollInterval(Duration v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, v, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withUseNotify(boolean v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, v, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withMaxAttempts(int v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, v, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withBackoff(Duration initial, Duration max) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initial, max,
                publishTimeout, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withPublishTimeout(Duration v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                v, deleteOnPublish, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withDeleteOnPublish(boolean v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, v, retention, purgeInterval, statsInterval);
    }

    public RelayConfig withRetention(Duration v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, v, purgeInterval, statsInterval);
    }

    public RelayConfig withPurgeInterval(Duration v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, v, statsInterval);
    }

    public RelayConfig withStatsInterval(Duration v) {
        return new RelayConfig(relayName, batchSize, maxBatchSize, pollInterval, useNotify, maxAttempts, initialBackoff, maxBackoff,
                publishTimeout, deleteOnPublish, retention, purgeInterval, v);
    }
}
