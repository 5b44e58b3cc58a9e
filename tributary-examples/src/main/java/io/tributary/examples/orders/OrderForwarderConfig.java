package io.tributary.examples.orders;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How the {@link OrderForwarder} groups, bounds and checkpoints its appends. Immutable; all problems are reported at
 * once ({@code INVALID_CONFIG}).
 *
 * @param maxGroup          most events per {@code appendAll} (one log batch and one acknowledgement per group); default 256
 * @param maxGroupWait      longest a collected event waits for its group to fill, checked as each event arrives and by
 *                          a timer, so it holds even when no other event arrives (a group also goes out as soon as
 *                          the subscription catches up); default 5 ms
 * @param maxUnacknowledged most events handed to the log and not yet acknowledged; a group that would pass it waits
 *                          for the oldest appends first. At least {@code maxGroup}; default 8,192
 * @param checkpointEvery   events sent between two periodic checkpoints; default 512
 */
public record OrderForwarderConfig(int maxGroup, Duration maxGroupWait, int maxUnacknowledged, int checkpointEvery) {

    public OrderForwarderConfig {
        Objects.requireNonNull(maxGroupWait, "maxGroupWait");
        List<String> problems = new ArrayList<>();
        if (maxGroup < 1) {
            problems.add("maxGroup=" + maxGroup + " must be at least 1 (default 256)");
        }
        if (maxGroupWait.isNegative()) {
            problems.add("maxGroupWait=" + maxGroupWait + " must not be negative (default 5 ms)");
        }
        if (maxUnacknowledged < maxGroup) {
            problems.add("maxUnacknowledged=" + maxUnacknowledged + " must be at least maxGroup=" + maxGroup
                    + " (default 8192), or no group could ever be sent");
        }
        if (checkpointEvery < 1) {
            problems.add("checkpointEvery=" + checkpointEvery + " must be at least 1 (default 512)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid order forwarder config: "
                    + String.join("; ", problems));
        }
    }

    /** Groups of 256, a 5 ms group wait, 8,192 unacknowledged events, a checkpoint every 512 events. */
    public static OrderForwarderConfig defaults() {
        return new OrderForwarderConfig(256, Duration.ofMillis(5), 8192, 512);
    }

    public OrderForwarderConfig withMaxGroup(int v) {
        return new OrderForwarderConfig(v, maxGroupWait, maxUnacknowledged, checkpointEvery);
    }

    public OrderForwarderConfig withMaxGroupWait(Duration v) {
        return new OrderForwarderConfig(maxGroup, v, maxUnacknowledged, checkpointEvery);
    }

    public OrderForwarderConfig withMaxUnacknowledged(int v) {
        return new OrderForwarderConfig(maxGroup, maxGroupWait, v, checkpointEvery);
    }

    public OrderForwarderConfig withCheckpointEvery(int v) {
        return new OrderForwarderConfig(maxGroup, maxGroupWait, maxUnacknowledged, v);
    }
}
