package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static io.tributary.log.internal.storage.StorageFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.LogRecord;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Compaction against a model: random keyed, keyless and tombstone appends, each young or older than
 * {@code delete.retention.ms}, spread over several closed segments, one cleaner pass, then exactly the keyless records
 * and each key's latest record are left, at their own offsets, except a latest record that is a tombstone older than
 * {@code delete.retention.ms}: that key is gone entirely. jqwik prints each property's seed in the test report; re-run
 * with {@code @Property(seed=...)}.
 */
class CompactionPropertyTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    /** Same-length keys, a prefix pair, the empty key, a multi-byte key and a long one: what a wrong key read merges. */
    private static final List<String> KEYS = List.of("k0", "k1", "k2", "k3", "k10", "k1x", "", "a", "\u00e9t\u00e9",
            "long-" + "z".repeat(200));

    /**
     * Each op picks one append: {@code op % 20 == 0} closes the segment, {@code op % 20 == 1} a keyless record,
     * {@code op % 4 == 2} a tombstone, else a value; the key is {@code (op / 20) % KEYS.size()}; the timestamp is
     * older than {@code delete.retention.ms} when {@code (op / 200) % 2 == 1} (independent of the key), else young.
     * Both are past {@code min.compaction.lag.ms} (0), so every closed segment is cleaned whatever its timestamps.
     */
    @Property(tries = 25)
    void compactionKeepsExactlyEachKeysLatestRecordAndAllKeylessOnes(
            @ForAll @Size(min = 1, max = 150) List<@IntRange(min = 0, max = 9999) Integer> ops) throws IOException {
        Path dir = Files.createTempDirectory("compaction-property");
        long now = System.currentTimeMillis();
        long young = now - 1000; // past min.compaction.lag.ms (0), well within delete.retention.ms (1 day)
        long old = now - 2 * TopicConfig.DEFAULT_DELETE_RETENTION_MS; // a tombstone this old is removed
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "cleanup.policy", "compact", "fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            Map<String, Long> latest = new HashMap<>();
            Map<String, Boolean> latestIsExpiredTombstone = new HashMap<>();
            Map<String, String> latestValue = new HashMap<>();
            TreeSet<Long> expected = new TreeSet<>();
            for (int i = 0; i < ops.size(); i++) {
                int op = ops.get(i);
                String key = KEYS.get((op / 20) % KEYS.size());
                String value = String.format("v%05d", i); // one length for all: lengths cannot tell keys apart
                long ts = (op / 200) % 2 == 1 ? old : young;
                if (op % 20 == 0) {
                    CleanerTest.closeSegment(p, ts);
                    expected.add(s.endOffset(TP) - 1);
                } else if (op % 20 == 1) {
                    expected.add(p.append("t", 0, record(null, value, ts)).join().offset());
                } else {
                    boolean tombstone = op % 4 == 2;
                    latest.put(key, p.append("t", 0, record(key, tombstone ? null : value, ts)).join().offset());
                    latestIsExpiredTombstone.put(key, tombstone && ts == old);
                    if (tombstone) {
                        latestValue.remove(key);
                    } else {
                        latestValue.put(key, value);
                    }
                }
            }
            CleanerTest.closeSegment(p, young); // every keyed record now in a closed segment
            expected.add(s.endOffset(TP) - 1);
            // a young tombstone is kept as the latest record of its key; an expired one goes, and its key with it
            latest.forEach((key, offset) -> {
                if (!latestIsExpiredTombstone.get(key)) {
                    expected.add(offset);
                }
            });
            long end = s.endOffset(TP);
            // the generator must reach expired tombstones: the coverage check fails the property if no try did
            Statistics.label("an expired tombstone is a key's latest record")
                    .collect(latestIsExpiredTombstone.containsValue(true))
                    .coverage(c -> c.check(true).count(n -> n > 0));

            s.runCleanerOnce(now);

            List<LogRecord> after = new ArrayList<>();
            long next = s.startOffset(TP);
            while (next < end) {
                List<LogRecord> got = s.read(TP, next, 10_000, Long.MAX_VALUE);
                if (got.isEmpty()) {
                    break;
                }
                after.addAll(got);
                next = got.get(got.size() - 1).offset() + 1;
            }
            assertThat(after).extracting(LogRecord::offset).isSorted().doesNotHaveDuplicates()
                    .containsExactlyElementsOf(expected);
            Map<String, String> readLatest = new HashMap<>();
            for (LogRecord r : after) {
                if (r.key() != null && !r.isTombstone()) {
                    readLatest.put(text(r.key()), text(r.value()));
                }
            }
            assertThat(readLatest).isEqualTo(latestValue);
            assertThat(s.endOffset(TP)).isEqualTo(end);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }
}
