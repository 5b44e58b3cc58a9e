package io.tributary.log;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A consumer's settings. Immutable; {@code with*} methods return copies. All problems are reported at once.
 *
 * @param clientId          name shown in group descriptions, metrics and logs; default {@code tributary-consumer}
 * @param groupId           the consumer group to join with {@link LogConsumer#subscribe}; empty for assign-only use
 * @param maxPollRecords    most records one {@code poll} returns; default 500
 * @param maxPollBytes      most record bytes one {@code poll} returns (at least one record is returned even if
 *                          larger); default 52428800 (50 MiB, Kafka's {@code fetch.max.bytes})
 * @param sessionTimeout    a member not heard from for this long is removed and its partitions reassigned;
 *                          default 45 s (Kafka's {@code session.timeout.ms})
 * @param heartbeatInterval how often a member signals liveness; default 3 s
 * @param maxPollInterval   a member that does not call {@code poll} for this long leaves the group; default 5 min
 * @param autoOffsetReset   where to start when the group has no committed offset (or it is out of range);
 *                          default {@link AutoOffsetReset#EARLIEST}
 * @param readCommitted     read only committed transactional records (backends with {@link Capability#TRANSACTIONS});
 *                          default false
 * @param properties        backend-specific pass-through properties; default none
 */
public record ConsumerConfig(String clientId, Optional<String> groupId, int maxPollRecords, long maxPollBytes,
                             Duration sessionTimeout, Duration heartbeatInterval, Duration maxPollInterval,
                             AutoOffsetReset autoOffsetReset, boolean readCommitted, Map<String, String> properties) {

    /** Where a consumer starts when it has no valid committed offset. */
    public enum AutoOffsetReset {
        /** From the oldest stored record. */
        EARLIEST,
        /** From the end: only new records. */
        LATEST,
        /** Fail with {@link LogErrors#NO_COMMITTED_OFFSET}. */
        NONE
    }

    public ConsumerConfig {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(sessionTimeout, "sessionTimeout");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        Objects.requireNonNull(maxPollInterval, "maxPollInterval");
        Objects.requireNonNull(autoOffsetReset, "autoOffsetReset");
        properties = Map.copyOf(properties);
        List<String> problems = new ArrayList<>();
        if (clientId.isBlank()) {
            problems.add("clientId is blank; name the consumer, e.g. 'billing'");
        }
        groupId.ifPresent(g -> {
            if (g.isBlank()) {
                problems.add("groupId is blank; use Optional.empty() for no group, or a name such as 'billing'");
            }
        });
        if (maxPollRecords < 1) {
            problems.add("maxPollRecords=" + maxPollRecords + " must be at least 1 (default 500)");
        }
        if (maxPollBytes < 1) {
            problems.add("maxPollBytes=" + maxPollBytes + " must be at least 1 (default 52428800)");
        }
        if (sessionTimeout.toMillis() < 1) {
            problems.add("sessionTimeout=" + sessionTimeout + " must be at least 1 ms (default 45 s)");
        }
        if (heartbeatInterval.toMillis() < 1 || heartbeatInterval.compareTo(sessionTimeout) >= 0) {
            problems.add("heartbeatInterval=" + heartbeatInterval + " must be positive and below sessionTimeout="
                    + sessionTimeout + " (typically a third of it)");
        }
        if (maxPollInterval.toMillis() < 1) {
            problems.add("maxPollInterval=" + maxPollInterval + " must be at least 1 ms (default 5 min)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid consumer config: " + String.join("; ", problems));
        }
    }

    /** Defaults, with no group. */
    public static ConsumerConfig defaults() {
        return new ConsumerConfig("tributary-consumer", Optional.empty(), 500, 52_428_800L, Duration.ofSeconds(45),
                Duration.ofSeconds(3), Duration.ofMinutes(5), AutoOffsetReset.EARLIEST, false, Map.of());
    }

    /** Defaults, as a member of {@code groupId}. */
    public static ConsumerConfig forGroup(String groupId) {
        return defaults().withGroupId(groupId);
    }

    public ConsumerConfig withClientId(String v) {
        return new ConsumerConfig(v, groupId, maxPollRecords, maxPollBytes, sessionTimeout, heartbeatInterval,
                maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withGroupId(String v) {
        return new ConsumerConfig(clientId, Optional.of(v), maxPollRecords, maxPollBytes, sessionTimeout,
                heartbeatInterval, maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withMaxPollRecords(int v) {
        return new ConsumerConfig(clientId, groupId, v, maxPollBytes, sessionTimeout, heartbeatInterval,
                maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withMaxPollBytes(long v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, v, sessionTimeout, heartbeatInterval,
                maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    /** Sets the session timeout and a heartbeat interval of a third of it. */
    public ConsumerConfig withSessionTimeout(Duration v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, v, v.dividedBy(3),
                maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withHeartbeatInterval(Duration v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, sessionTimeout, v,
                maxPollInterval, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withMaxPollInterval(Duration v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, sessionTimeout, heartbeatInterval,
                v, autoOffsetReset, readCommitted, properties);
    }

    public ConsumerConfig withAutoOffsetReset(AutoOffsetReset v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, sessionTimeout, heartbeatInterval,
                maxPollInterval, v, readCommitted, properties);
    }

    public ConsumerConfig withReadCommitted(boolean v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, sessionTimeout, heartbeatInterval,
                maxPollInterval, autoOffsetReset, v, properties);
    }

    public ConsumerConfig withProperties(Map<String, String> v) {
        return new ConsumerConfig(clientId, groupId, maxPollRecords, maxPollBytes, sessionTimeout, heartbeatInterval,
                maxPollInterval, autoOffsetReset, readCommitted, v);
    }
}
