package io.tributary.log;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Settings of the embedded log engine. Immutable; {@code with*} methods return copies; every problem is reported at
 * once in one {@link InvalidRequestException} ({@link ErrorCode#INVALID_CONFIG}).
 *
 * <table>
 *   <caption>Fields, settings, defaults and units</caption>
 *   <tr><th>field</th><th>setting ({@code tributary.log.embedded.})</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code dataDir}</td><td>{@code data-dir}</td><td>{@code ./data}</td><td>folder holding every topic;
 *       locked while open</td></tr>
 *   <tr><td>{@code cleanerInterval}</td><td>{@code cleaner-interval-ms}</td><td>30 s</td><td>how often the
 *       background cleaner applies retention and compaction (1 ms to 1 day)</td></tr>
 *   <tr><td>{@code checkpointInterval}</td><td>{@code checkpoint-interval-ms}</td><td>10 s</td><td>how often each
 *       changed partition's recovery point is synced and written; bounds the data recovery must check after a
 *       crash (1 ms to 1 day)</td></tr>
 *   <tr><td>{@code repairOnOpen}</td><td>{@code repair}</td><td>false</td><td>on open, cut a partition at
 *       corruption found before its recovery point (losing the records from there on) instead of refusing to
 *       open</td></tr>
 *   <tr><td>{@code indexIntervalBytes}</td><td>{@code index-interval-bytes}</td><td>4096</td><td>bytes of data
 *       between two offset-index entries (64 to 1048576)</td></tr>
 *   <tr><td>{@code autoCreateTopics}</td><td>{@code auto-create-topics}</td><td>false</td><td>create a topic on
 *       its first append instead of failing with {@code TOPIC_NOT_FOUND}</td></tr>
 *   <tr><td>{@code autoCreatePartitions}</td><td>{@code auto-create-partitions}</td><td>1</td><td>partitions of an
 *       auto-created topic (1 to 10000)</td></tr>
 *   <tr><td>{@code segmentPreallocateBytes}</td><td>{@code segment-preallocate-bytes}</td><td>8388608 (8 MiB)</td>
 *       <td>under {@code fsync=always}, keep up to this many bytes ahead of the write position of each written-to
 *       partition's active segment zero-filled and synced (as many as the segment already holds, at least 1 MiB), so
 *       an append's fdatasync overwrites allocated blocks instead of growing the file (which also commits the new
 *       size and extents to the file system's journal, about doubling the sync's latency); 0 turns it off (0 to
 *       1073741824). Costs up to this much disk per partition written under {@code fsync=always}; the zeros are cut
 *       off on roll and on close. Set 0 on tmpfs and on copy-on-write or compressing file systems (btrfs, ZFS), where
 *       it gains nothing</td></tr>
 * </table>
 *
 * @param dataDir              folder holding the log
 * @param cleanerInterval      period of retention and compaction
 * @param checkpointInterval   period of recovery-point checkpoints
 * @param repairOnOpen         truncate at corruption before the recovery point instead of refusing to open
 * @param indexIntervalBytes   bytes between offset-index entries
 * @param autoCreateTopics     create unknown topics on first append
 * @param autoCreatePartitions partition count of auto-created topics
 * @param segmentPreallocateBytes zero-filled, synced bytes kept ahead of an {@code fsync=always} active segment's
 *                             end; 0 = off
 */
public record EmbeddedLogConfig(Path dataDir, Duration cleanerInterval, Duration checkpointInterval,
                                boolean repairOnOpen, int indexIntervalBytes, boolean autoCreateTopics,
                                int autoCreatePartitions, int segmentPreallocateBytes) {

    /** Prefix of every setting this backend reads. */
    public static final String PREFIX = "tributary.log.embedded.";
    public static final String DATA_DIR = PREFIX + "data-dir";
    public static final String CLEANER_INTERVAL_MS = PREFIX + "cleaner-interval-ms";
    public static final String CHECKPOINT_INTERVAL_MS = PREFIX + "checkpoint-interval-ms";
    public static final String REPAIR = PREFIX + "repair";
    public static final String INDEX_INTERVAL_BYTES = PREFIX + "index-interval-bytes";
    public static final String AUTO_CREATE_TOPICS = PREFIX + "auto-create-topics";
    public static final String AUTO_CREATE_PARTITIONS = PREFIX + "auto-create-partitions";
    public static final String SEGMENT_PREALLOCATE_BYTES = PREFIX + "segment-preallocate-bytes";
    /** Every setting this backend knows. */
    public static final List<String> SETTINGS = List.of(DATA_DIR, CLEANER_INTERVAL_MS, CHECKPOINT_INTERVAL_MS, REPAIR,
            INDEX_INTERVAL_BYTES, AUTO_CREATE_TOPICS, AUTO_CREATE_PARTITIONS, SEGMENT_PREALLOCATE_BYTES);
    /**
     * 8 MiB: refilled when half is used, so at the paced event-store rate (~3 MB/s) one fill every ~1.5 s, each
     * large enough that its own journal commit is rare, and small next to the default 1 GiB segment.
     */
    public static final int DEFAULT_SEGMENT_PREALLOCATE_BYTES = 8 << 20;
    public static final int MAX_SEGMENT_PREALLOCATE_BYTES = 1 << 30;

    private static final Duration MAX_INTERVAL = Duration.ofDays(1);

    public EmbeddedLogConfig {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(cleanerInterval, "cleanerInterval");
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        List<String> problems = new ArrayList<>();
        checkInterval(problems, "cleanerInterval", cleanerInterval, "30 s");
        checkInterval(problems, "checkpointInterval", checkpointInterval, "10 s");
        if (indexIntervalBytes < 64 || indexIntervalBytes > 1_048_576) {
            problems.add("indexIntervalBytes=" + indexIntervalBytes + " must be between 64 and 1048576 (default 4096)");
        }
        if (autoCreatePartitions < 1 || autoCreatePartitions > NewTopic.MAX_PARTITIONS) {
            problems.add("autoCreatePartitions=" + autoCreatePartitions + " must be between 1 and "
                    + NewTopic.MAX_PARTITIONS + " (default 1)");
        }
        if (segmentPreallocateBytes < 0 || segmentPreallocateBytes > MAX_SEGMENT_PREALLOCATE_BYTES) {
            problems.add("segmentPreallocateBytes=" + segmentPreallocateBytes + " must be between 0 (off) and "
                    + MAX_SEGMENT_PREALLOCATE_BYTES + " (default " + DEFAULT_SEGMENT_PREALLOCATE_BYTES + ")");
        }
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
    }

    private static void checkInterval(List<String> problems, String name, Duration d, String dflt) {
        if (d.toMillis() < 1 || d.compareTo(MAX_INTERVAL) > 0) {
            problems.add(name + "=" + d + " must be between 1 ms and 1 day (default " + dflt + ")");
        }
    }

    private static InvalidRequestException invalid(List<String> problems) {
        return new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid embedded log config ("
                + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "): " + String.join("; ", problems));
    }

    /**
     * The constructor before {@code segmentPreallocateBytes} existed, kept so code written against it compiles and
     * links: preallocation is {@link #DEFAULT_SEGMENT_PREALLOCATE_BYTES}.
     */
    public EmbeddedLogConfig(Path dataDir, Duration cleanerInterval, Duration checkpointInterval, boolean repairOnOpen,
                             int indexIntervalBytes, boolean autoCreateTopics, int autoCreatePartitions) {
        this(dataDir, cleanerInterval, checkpointInterval, repairOnOpen, indexIntervalBytes, autoCreateTopics,
                autoCreatePartitions, DEFAULT_SEGMENT_PREALLOCATE_BYTES);
    }

    /** Defaults, with the data in {@code ./data}. */
    public static EmbeddedLogConfig defaults() {
        return new EmbeddedLogConfig(Path.of("data"), Duration.ofSeconds(30), Duration.ofSeconds(10), false, 4096,
                false, 1, DEFAULT_SEGMENT_PREALLOCATE_BYTES);
    }

    /** Defaults, with the data in {@code dataDir}. */
    public static EmbeddedLogConfig at(Path dataDir) {
        return defaults().withDataDir(dataDir);
    }

    /**
     * A config from {@code tributary.log.embedded.*} settings (other keys are ignored). Unknown
     * {@code tributary.log.embedded.*} keys and bad values are all reported together.
     */
    public static EmbeddedLogConfig fromSettings(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        EmbeddedLogConfig d = defaults();
        Path dir = d.dataDir();
        long cleaner = d.cleanerInterval().toMillis();
        long checkpoint = d.checkpointInterval().toMillis();
        boolean repair = d.repairOnOpen();
        long indexInterval = d.indexIntervalBytes();
        boolean autoCreate = d.autoCreateTopics();
        long autoPartitions = d.autoCreatePartitions();
        long preallocate = d.segmentPreallocateBytes();
        for (String key : new TreeSet<>(settings.keySet())) {
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String value = String.valueOf(settings.get(key)).trim();
            switch (key) {
                case DATA_DIR -> {
                    try {
                        if (value.isEmpty()) {
                            problems.add(DATA_DIR + " is empty; name a folder, e.g. ./data");
                        } else {
                            dir = Path.of(value);
                        }
                    } catch (InvalidPathException e) {
                        problems.add(DATA_DIR + "='" + value + "' is not a valid path (" + e.getReason() + ")");
                    }
                }
                case CLEANER_INTERVAL_MS -> cleaner = number(problems, key, value, 1, MAX_INTERVAL.toMillis(), cleaner);
                case CHECKPOINT_INTERVAL_MS -> checkpoint = number(problems, key, value, 1, MAX_INTERVAL.toMillis(), checkpoint);
                case REPAIR -> repair = bool(problems, key, value, repair);
                case INDEX_INTERVAL_BYTES -> indexInterval = number(problems, key, value, 64, 1_048_576, indexInterval);
                case AUTO_CREATE_TOPICS -> autoCreate = bool(problems, key, value, autoCreate);
                case AUTO_CREATE_PARTITIONS -> autoPartitions = number(problems, key, value, 1, NewTopic.MAX_PARTITIONS, autoPartitions);
                case SEGMENT_PREALLOCATE_BYTES -> preallocate = number(problems, key, value, 0, MAX_SEGMENT_PREALLOCATE_BYTES, preallocate);
                default -> problems.add("unknown setting '" + key + "' (known: " + String.join(", ", SETTINGS) + ")");
            }
        }
        if (!problems.isEmpty()) {
            throw invalid(problems);
        }
        return new EmbeddedLogConfig(dir, Duration.ofMillis(cleaner), Duration.ofMillis(checkpoint), repair,
                (int) indexInterval, autoCreate, (int) autoPartitions, (int) preallocate);
    }

    private static long number(List<String> problems, String key, String value, long min, long max, long fallback) {
        try {
            long v = Long.parseLong(value);
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        problems.add(key + "='" + value + "' must be a whole number between " + min + " and " + max);
        return fallback;
    }

    private static boolean bool(List<String> problems, String key, String value, boolean fallback) {
        if (value.equalsIgnoreCase("true") || value.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(value);
        }
        problems.add(key + "='" + value + "' must be 'true' or 'false'");
        return fallback;
    }

    public EmbeddedLogConfig withDataDir(Path dir) {
        return new EmbeddedLogConfig(dir, cleanerInterval, checkpointInterval, repairOnOpen, indexIntervalBytes,
                autoCreateTopics, autoCreatePartitions, segmentPreallocateBytes);
    }

    public EmbeddedLogConfig withCleanerInterval(Duration d) {
        return new EmbeddedLogConfig(dataDir, d, checkpointInterval, repairOnOpen, indexIntervalBytes,
                autoCreateTopics, autoCreatePartitions, segmentPreallocateBytes);
    }

    public EmbeddedLogConfig withCheckpointInterval(Duration d) {
        return new EmbeddedLogConfig(dataDir, cleanerInterval, d, repairOnOpen, indexIntervalBytes,
                autoCreateTopics, autoCreatePartitions, segmentPreallocateBytes);
    }

    public EmbeddedLogConfig withRepairOnOpen(boolean repair) {
        return new EmbeddedLogConfig(dataDir, cleanerInterval, checkpointInterval, repair, indexIntervalBytes,
                autoCreateTopics, autoCreatePartitions, segmentPreallocateBytes);
    }

    public EmbeddedLogConfig withIndexIntervalBytes(int bytes) {
        return new EmbeddedLogConfig(dataDir, cleanerInterval, checkpointInterval, repairOnOpen, bytes,
                autoCreateTopics, autoCreatePartitions, segmentPreallocateBytes);
    }

    public EmbeddedLogConfig withAutoCreateTopics(boolean on, int partitions) {
        return new EmbeddedLogConfig(dataDir, cleanerInterval, checkpointInterval, repairOnOpen, indexIntervalBytes,
                on, partitions, segmentPreallocateBytes);
    }

    /** Zero-filled bytes kept ahead of each {@code fsync=always} active segment's end; 0 turns preallocation off. */
    public EmbeddedLogConfig withSegmentPreallocateBytes(int bytes) {
        return new EmbeddedLogConfig(dataDir, cleanerInterval, checkpointInterval, repairOnOpen, indexIntervalBytes,
                autoCreateTopics, autoCreatePartitions, bytes);
    }
}
