package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Per-stream retention rules. Events they exclude are invisible to every read and subscription (stream, category
 * and {@code $all}) from the moment the rule is set; versions of the remaining events do not change.
 *
 * @param maxAge         events recorded longer ago than this are hidden; empty = no limit
 * @param maxCount       only the newest {@code maxCount} events are visible; empty = no limit
 * @param truncateBefore events with a lower version are hidden; empty = none
 */
public record StreamMetadata(Optional<Duration> maxAge, OptionalLong maxCount, OptionalLong truncateBefore) {

    private static final StreamMetadata NONE = new StreamMetadata(Optional.empty(), OptionalLong.empty(), OptionalLong.empty());

    public StreamMetadata {
        Objects.requireNonNull(maxAge, "maxAge");
        Objects.requireNonNull(maxCount, "maxCount");
        Objects.requireNonNull(truncateBefore, "truncateBefore");
        List<String> problems = new ArrayList<>();
        maxAge.ifPresent(a -> {
            if (a.toMillis() < 1) {
                problems.add("maxAge=" + a + " must be at least 1 ms (leave it empty for no limit)");
            }
        });
        if (maxCount.isPresent() && maxCount.getAsLong() < 1) {
            problems.add("maxCount=" + maxCount.getAsLong() + " must be at least 1 (leave it empty for no limit)");
        }
        if (truncateBefore.isPresent() && truncateBefore.getAsLong() < 0) {
            problems.add("truncateBefore=" + truncateBefore.getAsLong() + " must be a version, 0 or more");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Invalid stream metadata: " + String.join("; ", problems));
        }
    }

    /** No limits. */
    public static StreamMetadata none() {
        return NONE;
    }

    public StreamMetadata withMaxAge(Duration age) {
        return new StreamMetadata(Optional.of(age), maxCount, truncateBefore);
    }

    public StreamMetadata withMaxCount(long count) {
        return new StreamMetadata(maxAge, OptionalLong.of(count), truncateBefore);
    }

    public StreamMetadata withTruncateBefore(long version) {
        return new StreamMetadata(maxAge, maxCount, OptionalLong.of(version));
    }

    /**
     * Whether an event at {@code version}, recorded at {@code recordedAt}, is visible in a stream whose last version
     * is {@code lastVersion}, at time {@code now}. Both backends apply exactly this rule.
     */
    public boolean isVisible(long version, long recordedAt, long lastVersion, long now) {
        if (truncateBefore.isPresent() && version < truncateBefore.getAsLong()) {
            return false;
        }
        if (maxCount.isPresent() && version <= lastVersion - maxCount.getAsLong()) {
            return false;
        }
        return maxAge.isEmpty() || recordedAt >= now - maxAge.get().toMillis();
    }
}
