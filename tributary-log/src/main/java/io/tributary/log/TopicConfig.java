package io.tributary.log;

import io.tributary.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A topic's configuration: the overrides a user set, with Kafka's config names, and typed getters that fill in the
 * documented defaults. Immutable and thread-safe. {@link #of(Map)} checks every entry and reports all problems in one
 * error.
 *
 * <table>
 *   <caption>Keys, defaults and units</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code retention.ms}</td><td>604800000 (7 days)</td><td>delete closed segments whose newest record is older; -1 = forever</td></tr>
 *   <tr><td>{@code retention.bytes}</td><td>-1 (no limit)</td><td>per partition: delete oldest closed segments while the partition is larger</td></tr>
 *   <tr><td>{@code segment.bytes}</td><td>1073741824 (1 GiB)</td><td>roll a new segment file at this size; at least 1048576</td></tr>
 *   <tr><td>{@code max.message.bytes}</td><td>1048588</td><td>largest record (key + value + headers) accepted</td></tr>
 *   <tr><td>{@code cleanup.policy}</td><td>delete</td><td>{@code delete}, {@code compact} or {@code compact,delete}</td></tr>
 *   <tr><td>{@code min.compaction.lag.ms}</td><td>0</td><td>records younger than this are never compacted</td></tr>
 *   <tr><td>{@code delete.retention.ms}</td><td>86400000 (1 day)</td><td>how long a tombstone survives compaction</td></tr>
 *   <tr><td>{@code fsync}</td><td>always</td><td>{@link Durability}: {@code always}, {@code interval:<ms>} or {@code never}</td></tr>
 * </table>
 */
public final class TopicConfig {

    public static final String RETENTION_MS = "retention.ms";
    public static final String RETENTION_BYTES = "retention.bytes";
    public static final String SEGMENT_BYTES = "segment.bytes";
    public static final String MAX_MESSAGE_BYTES = "max.message.bytes";
    public static final String CLEANUP_POLICY = "cleanup.policy";
    public static final String MIN_COMPACTION_LAG_MS = "min.compaction.lag.ms";
    public static final String DELETE_RETENTION_MS = "delete.retention.ms";
    public static final String FSYNC = "fsync";

    public static final long DEFAULT_RETENTION_MS = 604_800_000L;
    public static final long DEFAULT_RETENTION_BYTES = -1L;
    public static final int DEFAULT_SEGMENT_BYTES = 1_073_741_824;
    public static final int MIN_SEGMENT_BYTES = 1_048_576;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;
    public static final long DEFAULT_MIN_COMPACTION_LAG_MS = 0L;
    public static final long DEFAULT_DELETE_RETENTION_MS = 86_400_000L;

    /** Every key this API knows, in documentation order. */
    public static final List<String> KEYS = List.of(RETENTION_MS, RETENTION_BYTES, SEGMENT_BYTES, MAX_MESSAGE_BYTES,
            CLEANUP_POLICY, MIN_COMPACTION_LAG_MS, DELETE_RETENTION_MS, FSYNC);

    private static final TopicConfig DEFAULTS = new TopicConfig(Map.of());

    private final Map<String, String> overrides;

    private TopicConfig(Map<String, String> overrides) {
        this.overrides = Collections.unmodifiableMap(new TreeMap<>(overrides));
    }

    /** No overrides: every value is its default. */
    public static TopicConfig defaults() {
        return DEFAULTS;
    }

    /**
     * A config from user-given entries. Unknown keys and bad values are all reported together in one
     * {@link InvalidRequestException} ({@link LogErrors#INVALID_TOPIC_CONFIG}).
     */
    public static TopicConfig of(Map<String, String> entries) {
        List<String> problems = new ArrayList<>();
        Map<String, String> clean = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            String value = v == null ? "" : v.trim();
            String problem = check(k, value);
            if (problem != null) {
                problems.add(problem);
            } else {
                clean.put(k, value);
            }
        });
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(LogErrors.INVALID_TOPIC_CONFIG,
                    "Invalid topic config (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "): "
                            + String.join("; ", problems));
        }
        return new TopicConfig(clean);
    }

    /** A copy with one more override (validated). */
    public TopicConfig with(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(overrides);
        copy.put(key, value);
        return of(copy);
    }

    /** A copy with every entry of {@code changes} applied over this one (validated together). */
    public TopicConfig withAll(Map<String, String> changes) {
        Map<String, String> copy = new LinkedHashMap<>(overrides);
        copy.putAll(changes);
        return of(copy);
    }

    /** The entries the user set, sorted by key. */
    public Map<String, String> overrides() {
        return overrides;
    }

    /** Every key with its effective value (override or default), in {@link #KEYS} order. */
    public Map<String, String> effective() {
        Map<String, String> all = new LinkedHashMap<>();
        all.put(RETENTION_MS, String.valueOf(retentionMs()));
        all.put(RETENTION_BYTES, String.valueOf(retentionBytes()));
        all.put(SEGMENT_BYTES, String.valueOf(segmentBytes()));
        all.put(MAX_MESSAGE_BYTES, String.valueOf(maxMessageBytes()));
        all.put(CLEANUP_POLICY, overrides.getOrDefault(CLEANUP_POLICY, "delete"));
        all.put(MIN_COMPACTION_LAG_MS, String.valueOf(minCompactionLagMs()));
        all.put(DELETE_RETENTION_MS, String.valueOf(deleteRetentionMs()));
        all.put(FSYNC, durability().toString());
        return all;
    }

    public long retentionMs() {
        return parseLong(overrides.getOrDefault(RETENTION_MS, String.valueOf(DEFAULT_RETENTION_MS)));
    }

    public long retentionBytes() {
        return parseLong(overrides.getOrDefault(RETENTION_BYTES, String.valueOf(DEFAULT_RETENTION_BYTES)));
    }

    public int segmentBytes() {
        return (int) parseLong(overrides.getOrDefault(SEGMENT_BYTES, String.valueOf(DEFAULT_SEGMENT_BYTES)));
    }

    public int maxMessageBytes() {
        return (int) parseLong(overrides.getOrDefault(MAX_MESSAGE_BYTES, String.valueOf(DEFAULT_MAX_MESSAGE_BYTES)));
    }

    public Set<CleanupPolicy> cleanupPolicy() {
        return parsePolicy(overrides.getOrDefault(CLEANUP_POLICY, "delete"));
    }

    public boolean isCompacted() {
        return cleanupPolicy().contains(CleanupPolicy.COMPACT);
    }

    public long minCompactionLagMs() {
        return parseLong(overrides.getOrDefault(MIN_COMPACTION_LAG_MS, String.valueOf(DEFAULT_MIN_COMPACTION_LAG_MS)));
    }

    public long deleteRetentionMs() {
        return parseLong(overrides.getOrDefault(DELETE_RETENTION_MS, String.valueOf(DEFAULT_DELETE_RETENTION_MS)));
    }

    public Durability durability() {
        String v = overrides.get(FSYNC);
        return v == null ? Durability.ALWAYS : Durability.parse(v);
    }

    /** Whether the user set {@code fsync} explicitly (backends with their own default, like Kafka, check this). */
    public boolean hasExplicitDurability() {
        return overrides.containsKey(FSYNC);
    }

    private static String check(String key, String value) {
        switch (key) {
            case RETENTION_MS, RETENTION_BYTES -> {
                return checkLong(key, value, -1, Long.MAX_VALUE, "-1 (no limit) or a positive number");
            }
            case SEGMENT_BYTES -> {
                return checkLong(key, value, MIN_SEGMENT_BYTES, Integer.MAX_VALUE,
                        "between " + MIN_SEGMENT_BYTES + " (1 MiB) and " + Integer.MAX_VALUE);
            }
            case MAX_MESSAGE_BYTES -> {
                return checkLong(key, value, 1, Integer.MAX_VALUE, "between 1 and " + Integer.MAX_VALUE);
            }
            case MIN_COMPACTION_LAG_MS, DELETE_RETENTION_MS -> {
                return checkLong(key, value, 0, Long.MAX_VALUE, "0 or more milliseconds");
            }
            case CLEANUP_POLICY -> {
                try {
                    parsePolicy(value);
                    return null;
                } catch (IllegalArgumentException e) {
                    return CLEANUP_POLICY + "='" + value + "' must be 'delete', 'compact' or 'compact,delete'";
                }
            }
            case FSYNC -> {
                try {
                    Durability.parse(value);
                    return null;
                } catch (InvalidRequestException e) {
                    return "fsync='" + value + "' must be 'always', 'never' or 'interval:<ms>'";
                }
            }
            default -> {
                return "unknown key '" + key + "' (known keys: " + String.join(", ", KEYS) + ")";
            }
        }
    }

    private static String checkLong(String key, String value, long min, long max, String expected) {
        try {
            long v = Long.parseLong(value);
            if (v < min || v > max || (v == 0 && min == -1)) {
                return key + "=" + value + " is out of range; use " + expected;
            }
            return null;
        } catch (NumberFormatException e) {
            return key + "='" + value + "' is not a whole number; use " + expected;
        }
    }

    private static long parseLong(String v) {
        return Long.parseLong(v);
    }

    private static Set<CleanupPolicy> parsePolicy(String value) {
        Set<CleanupPolicy> out = EnumSet.noneOf(CleanupPolicy.class);
        for (String part : value.split(",")) {
            String p = part.trim();
            CleanupPolicy found = null;
            for (CleanupPolicy c : CleanupPolicy.values()) {
                if (c.configValue().equals(p)) {
                    found = c;
                }
            }
            if (found == null || !out.add(found)) {
                throw new IllegalArgumentException(value);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicConfig t && overrides.equals(t.overrides);
    }

    @Override
    public int hashCode() {
        return overrides.hashCode();
    }

    @Override
    public String toString() {
        return "TopicConfig" + overrides;
    }
}
