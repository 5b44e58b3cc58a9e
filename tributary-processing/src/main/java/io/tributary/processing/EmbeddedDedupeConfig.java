package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Settings of an {@link EmbeddedDedupeStore}. Immutable; {@code with*} methods return copies; all problems are
 * reported at once.
 *
 * @param retention      how long a committed claim is remembered at least; older ones are dropped when the file is
 *                       compacted or reopened. Keep it above the longest a redelivery can take (processor downtime plus
 *                       commit interval). Default 7 days.
 * @param fsyncOnCommit  whether each commit waits for its claims to reach the disk (fsync); {@code false} keeps them
 *                       only in the OS page cache, so a machine crash (not a process crash) may forget the last ones.
 *                       Default {@code true}.
 * @param compactEvery   compact (rewrite without expired claims) after this many appended claims, at least 1;
 *                       default 100000
 */
public record EmbeddedDedupeConfig(Duration retention, boolean fsyncOnCommit, int compactEvery) {

    public EmbeddedDedupeConfig {
        Objects.requireNonNull(retention, "retention");
        List<String> problems = new ArrayList<>();
        if (retention.toMillis() < 1) {
            problems.add("retention=" + retention + " must be at least 1 ms (default 7 days)");
        }
        if (compactEvery < 1) {
            problems.add("compactEvery=" + compactEvery + " must be at least 1 (default 100000)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid embedded dedupe store config: "
                    + String.join("; ", problems));
        }
    }

    /** 7 days retention, fsync on commit, compaction every 100000 claims. */
    public static EmbeddedDedupeConfig defaults() {
        return new EmbeddedDedupeConfig(Duration.ofDays(7), true, 100_000);
    }

    public EmbeddedDedupeConfig withRetention(Duration v) {
        return new EmbeddedDedupeConfig(v, fsyncOnCommit, compactEvery);
    }

    public EmbeddedDedupeConfig withFsyncOnCommit(boolean v) {
        return new EmbeddedDedupeConfig(retention, v, compactEvery);
    }

    public EmbeddedDedupeConfig withCompactEvery(int v) {
        return new EmbeddedDedupeConfig(retention, fsyncOnCommit, v);
    }
}
