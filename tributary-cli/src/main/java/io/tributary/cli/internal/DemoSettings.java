package io.tributary.cli.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.Durability;
import io.tributary.log.NewTopic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the demo runs. Immutable; every bad value is reported at once.
 *
 * @param events      events to produce in total, at least 1 (default 1,000,000)
 * @param partitions  partitions of the demo topic, 1 to 10,000 (default 8)
 * @param producers   producer threads, each owning a share of the keys (default 4)
 * @param consumers   consumers in the demo's consumer group, each on its own thread (default 4)
 * @param keys        distinct keys (entity ids), at least 1 (default 10,000)
 * @param valueBytes  bytes per event value, at least 16 (sequence number and send time) (default 100)
 * @param durability  the topic's fsync mode (default {@code always}: acknowledged means on disk)
 * @param maxInFlight unacknowledged appends each producer thread allows before waiting (default 1,000)
 * @param timeout     the whole run fails if the events have not all been consumed by then (default 5 minutes)
 * @param fault       a fault to inject for the check to catch (default none)
 */
public record DemoSettings(long events, int partitions, int producers, int consumers, int keys, int valueBytes,
                           Durability durability, int maxInFlight, Duration timeout, DeliveryFault fault) {

    /** Bytes of a value the demo itself needs: the key's sequence number and the send time. */
    public static final int MIN_VALUE_BYTES = 16;

    public DemoSettings {
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(fault, "fault");
        List<String> problems = new ArrayList<>();
        if (events < 1) {
            problems.add("--events " + events + " must be at least 1");
        }
        if (partitions < 1 || partitions > NewTopic.MAX_PARTITIONS) {
            problems.add("--partitions " + partitions + " must be between 1 and " + NewTopic.MAX_PARTITIONS);
        }
        if (producers < 1 || producers > 256) {
            problems.add("--producers " + producers + " must be between 1 and 256");
        }
        if (consumers < 1 || consumers > 256) {
            problems.add("--consumers " + consumers + " must be between 1 and 256");
        }
        if (keys < 1) {
            problems.add("--keys " + keys + " must be at least 1");
        }
        if (valueBytes < MIN_VALUE_BYTES || valueBytes > 1_000_000) {
            problems.add("--value-size " + valueBytes + " must be between " + MIN_VALUE_BYTES + " and 1000000");
        }
        if (maxInFlight < 1) {
            problems.add("--max-in-flight " + maxInFlight + " must be at least 1");
        }
        if (timeout.isNegative() || timeout.isZero()) {
            problems.add("--timeout " + timeout + " must be positive");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Invalid demo settings: "
                    + String.join("; ", problems) + ".");
        }
    }

    /** The full-size demo. */
    public static DemoSettings defaults() {
        return new DemoSettings(1_000_000, 8, 4, 4, 10_000, 100, Durability.ALWAYS, 1_000, Duration.ofMinutes(5),
                DeliveryFault.NONE);
    }

    public DemoSettings withEvents(long n) {
        return new DemoSettings(n, partitions, producers, consumers, keys, valueBytes, durability, maxInFlight,
                timeout, fault);
    }

    public DemoSettings withShape(int partitions, int producers, int consumers, int keys) {
        return new DemoSettings(events, partitions, producers, consumers, keys, valueBytes, durability, maxInFlight,
                timeout, fault);
    }

    public DemoSettings withValueBytes(int bytes) {
        return new DemoSettings(events, partitions, producers, consumers, keys, bytes, durability, maxInFlight,
                timeout, fault);
    }

    public DemoSettings withDurability(Durability d) {
        return new DemoSettings(events, partitions, producers, consumers, keys, valueBytes, d, maxInFlight, timeout,
                fault);
    }

    public DemoSettings withMaxInFlight(int n) {
        return new DemoSettings(events, partitions, producers, consumers, keys, valueBytes, durability, n, timeout,
                fault);
    }

    public DemoSettings withTimeout(Duration t) {
        return new DemoSettings(events, partitions, producers, consumers, keys, valueBytes, durability, maxInFlight,
                t, fault);
    }

    public DemoSettings withFault(DeliveryFault f) {
        return new DemoSettings(events, partitions, producers, consumers, keys, valueBytes, durability, maxInFlight,
                timeout, f);
    }
}
