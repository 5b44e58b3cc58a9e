package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static io.tributary.log.internal.storage.StorageFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Retention and compaction, run by calling one cleaner pass with a chosen "now". */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CleanerTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final String PAD = "x".repeat(200);

    @TempDir
    Path dir;

    /** Appends {@code count} records (about 240 bytes each) with the given timestamps in batches of 100. */
    private static void fill(EmbeddedStorage s, int count, long ts) {
        EmbeddedProducer p = StorageFixture.producer(s);
        List<Record> chunk = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            chunk.add(record(null, "v" + i + PAD, ts));
            if (chunk.size() == 100) {
                p.appendAll("t", chunk).join();
                chunk.clear();
            }
        }
        if (!chunk.isEmpty()) {
            p.appendAll("t", chunk).join();
        }
    }

    private static List<LogRecord> readAll(EmbeddedStorage s) {
        List<LogRecord> out = new ArrayList<>();
        long next = s.startOffset(TP);
        while (next < s.endOffset(TP)) {
            List<LogRecord> got = s.read(TP, next, 10_000, Long.MAX_VALUE);
            if (got.isEmpty()) {
                break;
            }
            out.addAll(got);
            next = got.get(got.size() - 1).offset() + 1;
        }
        return out;
    }

    @Test
    void retentionByTimeDeletesWholeSegmentsWhoseNewestRecordExpired() {
        long now = 1_000_000_000L;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "retention.ms", "60000", "fsync", "never"));
            fill(s, 9000, now - 120_000); // about two segments of old records
            long oldEnd = s.endOffset(TP);
            fill(s, 100, now);            // fresh ones in the active segment
            int segmentsBefore = s.segmentCount(TP);
            assertThat(segmentsBefore).isGreaterThan(1);
            s.runCleanerOnce(now);
            assertThat(s.segmentCount(TP)).isLessThan(segmentsBefore);
            assertThat(s.startOffset(TP)).isPositive().isLessThanOrEqualTo(oldEnd);
            assertThat(s.endOffset(TP)).isEqualTo(9100);
            assertThat(readAll(s)).allSatisfy(r -> assertThat(r.offset()).isGreaterThanOrEqualTo(s.startOffset(TP)))
                    .last().satisfies(r -> assertThat(r.offset()).isEqualTo(9099));
        }
    }

    @Test
    void anIdlePartitionWhoseRecordsAllExpiredIsEmptiedButKeepsItsOffsets() {
        long now = 1_000_000_000L;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("retention.ms", "1000", "fsync", "never"));
            fill(s, 500, now - 5000);
            s.runCleanerOnce(now);
            assertThat(s.startOffset(TP)).isEqualTo(500);
            assertThat(s.endOffset(TP)).isEqualTo(500);
            assertThat(s.read(TP, 500, 10, Long.MAX_VALUE)).isEmpty();
            StorageFixture.producer(s).append("t", 0, record(null, "after", now)).join();
            assertThat(s.read(TP, 500, 10, Long.MAX_VALUE)).singleElement()
                    .satisfies(r -> assertThat(text(r.value())).isEqualTo("after"));
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.startOffset(TP)).isEqualTo(500);
            assertThat(s.endOffset(TP)).isEqualTo(501);
        }
    }

    @Test
    void retentionBySizeDeletesOldestSegmentsButNeverGoesBelowTheLimit() {
        long now = System.currentTimeMillis();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "retention.bytes", "2000000", "fsync", "never"));
            fill(s, 20_000, now); // about 4.8 MB in five segments
            long before = s.describeTopic("t").partitions().get(0).sizeBytes();
            s.runCleanerOnce(now);
            long after = s.describeTopic("t").partitions().get(0).sizeBytes();
            assertThat(before).isGreaterThan(4_000_000);
            assertThat(after).isGreaterThanOrEqualTo(2_000_000).isLessThan(2_000_000 + 1_048_576);
            assertThat(s.endOffset(TP)).isEqualTo(20_000);
            assertThat(readAll(s)).hasSize((int) (20_000 - s.startOffset(TP)));
        }
    }

    /** Writes keys k0..k(keys-1) round after round; returns the latest value per key. */
    private static Map<String, String> writeKeys(EmbeddedStorage s, int rounds, int keys, long ts) {
        return writeKeys(s, "k", rounds, keys, ts);
    }

    /** Writes keys prefix0..prefix(keys-1) round after round; returns the latest value per key. */
    private static Map<String, String> writeKeys(EmbeddedStorage s, String prefix, int rounds, int keys, long ts) {
        EmbeddedProducer p = StorageFixture.producer(s);
        Map<String, String> latest = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            List<Record> chunk = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                String v = "r" + r + "-" + PAD;
                chunk.add(record(prefix + k, v, ts));
                latest.put(prefix + k, v);
            }
            p.appendAll("t", chunk).join();
        }
        return latest;
    }

    private static Map<String, String> latestByKey(List<LogRecord> records) {
        Map<String, String> m = new HashMap<>();
        for (LogRecord r : records) {
            if (r.isTombstone()) {
                m.remove(text(r.key()));
            } else {
                m.put(text(r.key()), text(r.value()));
            }
        }
        return m;
    }

    @Test
    void compactionKeepsOnlyTheLatestRecordPerKeyInClosedSegmentsAndNeverChangesOffsets() {
        long now = System.currentTimeMillis();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact", "fsync", "never"));
            Map<String, String> latest = writeKeys(s, 40, 500, now - 1000); // about 4.8 MB
            long end = s.endOffset(TP);
            long sizeBefore = s.describeTopic("t").partitions().get(0).sizeBytes();
            s.runCleanerOnce(now);
            List<LogRecord> after = readAll(s);
            assertThat(s.describeTopic("t").partitions().get(0).sizeBytes()).isLessThan(sizeBefore / 2);
            assertThat(s.endOffset(TP)).isEqualTo(end);
            assertThat(s.startOffset(TP)).isZero();
            assertThat(latestByKey(after)).isEqualTo(latest);
            assertThat(after).extracting(LogRecord::offset).isSorted().doesNotHaveDuplicates();
            assertThat(after.size()).isLessThan((int) end / 2);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(latestByKey(readAll(s))).hasSize(500);
        }
    }

    /**
     * Appends one keyless record of {@code max.message.bytes}: larger than a segment, so it rolls the segment before
     * it and fills the new one on its own. Everything written before it is then in a closed segment.
     */
    static void closeSegment(EmbeddedProducer p, long ts) {
        byte[] big = new byte[TopicConfig.DEFAULT_MAX_MESSAGE_BYTES];
        p.append("t", 0, new Record(null, big, io.tributary.core.Headers.empty(), ts)).join();
    }

    @Test
    void compactionOfClosedSegmentsKeepsTheLatestRecordOfEveryDistinctKey() {
        // Keys of one length and values of one length: a compactor comparing the wrong bytes sees them as one key.
        // Keys of other lengths, a key that is a prefix of another, the empty key and a multi-byte UTF-8 key too.
        List<String> keys = new ArrayList<>();
        for (int k = 0; k < 10; k++) {
            keys.add("k" + k);
        }
        keys.addAll(List.of("", "a", "k1x", "k10", "\u00e9t\u00e9", "long-key-" + "y".repeat(300)));
        long now = System.currentTimeMillis();
        long ts = now - 1000;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact", "fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            Map<String, Long> latestOffset = new HashMap<>();
            Map<String, String> latestValue = new HashMap<>();
            List<Long> keyless = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (String k : keys) {
                    String v = "r" + round + "-" + k.length();
                    latestOffset.put(k, p.append("t", 0, record(k, v, ts)).join().offset());
                    latestValue.put(k, v);
                }
                keyless.add(p.append("t", 0, record(null, "keyless" + round, ts)).join().offset());
                if (round == 1) {
                    closeSegment(p, ts); // rounds 0-1 and round 2 in different closed segments
                }
            }
            latestOffset.put("gone", p.append("t", 0, record("gone", null, ts)).join().offset()); // young tombstone
            closeSegment(p, ts);
            long end = s.endOffset(TP);
            assertThat(s.segmentCount(TP)).isGreaterThanOrEqualTo(4);

            s.runCleanerOnce(now);

            List<LogRecord> after = readAll(s);
            assertThat(after).extracting(LogRecord::offset).isSorted().doesNotHaveDuplicates();
            assertThat(latestByKey(after.stream().filter(r -> r.key() != null).toList())).isEqualTo(latestValue);
            Map<String, List<Long>> keptOffsets = new HashMap<>();
            for (LogRecord r : after) {
                if (r.key() != null) {
                    keptOffsets.computeIfAbsent(text(r.key()), k -> new ArrayList<>()).add(r.offset());
                }
            }
            Map<String, List<Long>> expected = new HashMap<>();
            latestOffset.forEach((k, o) -> expected.put(k, List.of(o)));
            assertThat(keptOffsets).as("only each key's latest record is kept, at its own offset").isEqualTo(expected);
            assertThat(after).filteredOn(r -> r.key() == null && r.value().length < 100)
                    .extracting(LogRecord::offset).containsExactlyElementsOf(keyless);
            assertThat(s.endOffset(TP)).isEqualTo(end);
        }
    }

    @Test
    void tombstonesAreRemovedOnlyAfterDeleteRetention() {
        long now = System.currentTimeMillis();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact",
                    "delete.retention.ms", "60000", "fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            writeKeys(s, 1, 500, now - 100_000);
            p.append("t", 0, record("k7", null, now - 100_000)).join(); // old tombstone: past delete.retention.ms
            p.append("t", 0, record("k8", null, now - 1_000)).join();   // young tombstone
            // other keys (not k7 or k8, which would supersede the tombstones), to close the segment holding them
            writeKeys(s, "other", 40, 10, now - 100_000);
            writeKeys(s, "other", 20, 400, now - 100_000);
            s.runCleanerOnce(now);
            List<LogRecord> after = readAll(s);
            assertThat(after).noneSatisfy(r -> assertThat(text(r.key())).isEqualTo("k7"));
            assertThat(after).filteredOn(r -> text(r.key()).equals("k8")).singleElement()
                    .satisfies(r -> assertThat(r.isTombstone()).isTrue());
            s.runCleanerOnce(now + 60_000);
            assertThat(readAll(s)).noneSatisfy(r -> assertThat(text(r.key())).isEqualTo("k8"));
        }
    }

    @Test
    void recordsYoungerThanTheMinimumCompactionLagAreNotCompacted() {
        long now = System.currentTimeMillis();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact",
                    "min.compaction.lag.ms", "3600000", "fsync", "never"));
            writeKeys(s, 20, 500, now - 1000);
            long sizeBefore = s.describeTopic("t").partitions().get(0).sizeBytes();
            s.runCleanerOnce(now);
            assertThat(s.describeTopic("t").partitions().get(0).sizeBytes()).isEqualTo(sizeBefore);
            s.runCleanerOnce(now + 3_600_000);
            assertThat(s.describeTopic("t").partitions().get(0).sizeBytes()).isLessThan(sizeBefore);
        }
    }

    @Test
    void aCrashAtAnyStepOfTheCompactionSwapLosesNothing() {
        for (Compactor.Step step : Compactor.Step.values()) {
            Path d = dir.resolve(step.name());
            long now = System.currentTimeMillis();
            Map<String, String> latest;
            long end;
            try (EmbeddedStorage s = StorageFixture.open(d)) {
                StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact", "fsync", "never"));
                latest = writeKeys(s, 25, 400, now - 1000);
                end = s.endOffset(TP);
                s.compactionHook((reached, file) -> {
                    if (reached == step) {
                        throw new java.io.IOException("simulated crash after " + step);
                    }
                });
                s.runCleanerOnce(now); // the hook "crashes" at the step; the cleaner logs it
                s.abandon();
            }
            try (EmbeddedStorage s = StorageFixture.open(d)) {
                assertThat(s.recoveryEvents()).as("after a crash at %s", step).isEmpty();
                assertThat(s.endOffset(TP)).isEqualTo(end);
                assertThat(latestByKey(readAll(s))).as("after a crash at %s", step).isEqualTo(latest);
                assertThat(java.nio.file.Files.exists(d.resolve("t-0").resolve("00000000000000000000.log.cleaned"))).isFalse();
                s.runCleanerOnce(now);
                assertThat(latestByKey(readAll(s))).isEqualTo(latest);
                assertThat(readAll(s).size()).isLessThan((int) end / 2);
            }
            try (EmbeddedStorage s = StorageFixture.open(d)) {
                assertThat(latestByKey(readAll(s))).isEqualTo(latest);
            }
        }
    }
}
