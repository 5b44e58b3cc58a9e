package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Open checks that each segment it trusts (below the recovery point, index files loaded) really ends where the next
 * segment file begins: a missing segment file in the middle of the log is a gap, refused (or repaired) like any other,
 * never offsets silently skipped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MissingSegmentTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    /** 15 records of this size fill a 1 MiB segment, so 47 records make segments 0, 15, 30 and 45. */
    private static final String PAD = "x".repeat(69_000);

    @TempDir
    Path dir;

    private Path partitionDir() {
        return dir.resolve("t-0");
    }

    private Path log(long base) {
        return Segment.logFile(partitionDir(), base);
    }

    /** Appends 47 records (one per batch) with the given keys, and closes cleanly: the recovery point is at 47. */
    private void write47(Map<String, String> config, List<String> keys) {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            java.util.HashMap<String, String> c = new java.util.HashMap<>(config);
            c.put("segment.bytes", "1048576");
            StorageFixture.topic(s, "t", 1, c);
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 47; i++) {
                p.append("t", 0, record(keys == null ? null : keys.get(i), "v" + i + PAD,
                        System.currentTimeMillis() - 10_000)).join();
            }
        }
        assertThat(segmentBases()).containsExactly(0L, 15L, 30L, 45L);
    }

    private List<Long> segmentBases() {
        try (Stream<Path> files = Files.list(partitionDir())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(Segment.LOG_SUFFIX))
                    .map(n -> Long.parseLong(n.substring(0, 20))).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The base offsets named by the index files ({@code .index} and {@code .timeindex}) in the folder. */
    private List<Long> indexFileBases() {
        try (Stream<Path> files = Files.list(partitionDir())) {
            return files.map(f -> f.getFileName().toString())
                    .filter(n -> n.endsWith(Segment.INDEX_SUFFIX) || n.endsWith(Segment.TIME_INDEX_SUFFIX))
                    .map(n -> Long.parseLong(n.substring(0, 20))).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void deleteSegment(long base, boolean withIndexes) throws IOException {
        Files.delete(log(base));
        if (withIndexes) {
            Files.delete(Segment.indexFile(partitionDir(), base));
            Files.delete(Segment.timeIndexFile(partitionDir(), base));
        }
    }

    /**
     * The identity (inode) of the index files of the given segments. A seal writes new index files and renames them
     * over the old ones, so an unchanged identity shows the open trusted the segment instead of rescanning and
     * resealing it: the bytes alone cannot tell, a reseal writes the same ones.
     */
    private Map<Path, Object> indexFileKeys(long... bases) throws IOException {
        Map<Path, Object> keys = new java.util.LinkedHashMap<>();
        for (long base : bases) {
            Path dirPath = partitionDir();
            for (Path p : List.of(Segment.indexFile(dirPath, base), Segment.timeIndexFile(dirPath, base))) {
                Object key = Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
                assertThat(key).as("file key of %s (this file system reports none)", p).isNotNull();
                keys.put(p, key);
            }
        }
        return keys;
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

    private void assertRefusedThenRepairedTo(long missingFrom, long nextBase) throws IOException {
        byte[] firstIndex = Files.readAllBytes(Segment.indexFile(partitionDir(), 0));
        assertThatThrownBy(() -> StorageFixture.open(dir))
                .isInstanceOfSatisfying(CorruptionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
                .hasMessageContaining("partition " + TP)
                .hasMessageContaining(log(nextBase).toString())
                .hasMessageContaining("starts at offset " + nextBase + " but offset " + missingFrom + " was expected")
                .hasMessageContaining("repair");
        // refusing changed nothing: the file can still be restored by hand
        assertThat(segmentBases()).contains(nextBase);
        assertThat(Segment.indexFile(partitionDir(), 0)).hasBinaryContent(firstIndex);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withRepairOnOpen(true))) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.repaired()).isTrue();
                assertThat(e.firstLostOffset()).isEqualTo(missingFrom);
            });
            assertThat(s.endOffset(TP)).isEqualTo(missingFrom);
            assertThat(readAll(s)).extracting(LogRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, missingFrom).boxed().toList());
        }
        // no index file of a segment that is gone is left beside the offsets the log now reuses
        assertThat(indexFileBases()).allMatch(b -> b < missingFrom);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(missingFrom);
        }
    }

    @Test
    void refusesToOpenWhenASegmentFileInTheMiddleIsMissingButItsIndexFilesRemain() throws IOException {
        write47(Map.of(), null);
        deleteSegment(15, false);
        assertRefusedThenRepairedTo(15, 30);
    }

    @Test
    void refusesToOpenWhenASegmentFileInTheMiddleIsMissingWithItsIndexFiles() throws IOException {
        write47(Map.of(), null);
        deleteSegment(15, true);
        assertRefusedThenRepairedTo(15, 30);
    }

    @Test
    void refusesToOpenWhenTheSegmentBeforeTheRecoveryPointSegmentIsMissing() throws IOException {
        // the recovery point is in segment 45: its records and those of 30 were synced, so dropping them needs repair
        write47(Map.of(), null);
        deleteSegment(30, false);
        assertRefusedThenRepairedTo(30, 45);
    }

    /**
     * Expects the open refused because the data ends at {@code dataEnd}, below the recovery point at 47 in segment
     * 45, changing nothing; then a repair that ends the partition at {@code dataEnd}, whose event says which offsets
     * are missing and where ({@code missing}), not that it truncated 0 bytes.
     */
    private void assertRefusedBelowTheRecoveryPointThenRepairedTo(long dataEnd, String missing) throws IOException {
        Path checkpoint = partitionDir().resolve(RecoveryCheckpoint.FILE_NAME);
        byte[] recoveryPoint = Files.readAllBytes(checkpoint);
        List<Long> bases = segmentBases();
        assertThatThrownBy(() -> StorageFixture.open(dir))
                .isInstanceOfSatisfying(CorruptionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
                .hasMessageContaining("partition " + TP)
                .hasMessageContaining(log(45).toString())
                .hasMessageContaining("no data from offset " + dataEnd + " on, though the recovery point is at offset 47")
                .hasMessageContaining("repair");
        // refusing changed nothing: the recovery point still says 47, the file can still be restored by hand
        assertThat(checkpoint).hasBinaryContent(recoveryPoint);
        assertThat(segmentBases()).isEqualTo(bases);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withRepairOnOpen(true))) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.repaired()).isTrue();
                assertThat(e.firstLostOffset()).isEqualTo(dataEnd);
                assertThat(e.file()).isEqualTo(log(45));
                assertThat(e.describe()).startsWith("Repaired " + TP + ": ended the partition at offset " + dataEnd
                                + "; " + missing + ": no data from offset " + dataEnd + " on, though the recovery point"
                                + " is at offset 47")
                        .contains("Nothing was truncated").doesNotContain("truncated 0 bytes");
            });
            assertThat(s.endOffset(TP)).isEqualTo(dataEnd);
            assertThat(readAll(s)).extracting(LogRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.range(0, dataEnd).boxed().toList());
        }
        // no index file of a segment that is gone is left beside the offsets the log now reuses
        assertThat(indexFileBases()).allMatch(b -> b < dataEnd);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(dataEnd);
        }
    }

    @Test
    void refusesToOpenWhenTheRecoveryPointsSegmentFileIsMissing() throws IOException {
        // the last file left (30) scans clean and ends at 45: without the check the log silently ended there and
        // the recovery point (47) was overwritten, losing acknowledged records 45 and 46
        write47(Map.of(), null);
        deleteSegment(45, false);
        assertRefusedBelowTheRecoveryPointThenRepairedTo(45, "offsets 45-46 are missing (file " + log(45) + " missing)");
    }

    @Test
    void refusesToOpenWhenTheLastTwoSegmentFilesAreMissing() throws IOException {
        // no gap between the files left: only the recovery point tells that 30-46 were acknowledged
        write47(Map.of(), null);
        deleteSegment(45, false);
        deleteSegment(30, true);
        assertRefusedBelowTheRecoveryPointThenRepairedTo(30, "offsets 30-46 are missing (file " + log(45) + " missing)");
    }

    @Test
    void refusesToOpenWhenEverySegmentFileIsMissing() throws IOException {
        // the refusal must come before open creates an empty first segment, which would outlive it (see below)
        write47(Map.of(), null);
        for (long base : List.of(0L, 15L, 30L, 45L)) {
            deleteSegment(base, false);
        }
        assertRefusedBelowTheRecoveryPointThenRepairedTo(0, "offsets 0-46 are missing (file " + log(45) + " missing)");
    }

    @Test
    void opensOnceTheLaterSegmentFilesAreRestoredAfterAnOpenRefusedForEverySegmentFileMissing() throws IOException {
        // The operator moved every segment file away, then restores only the ones still wanted (retention would have
        // deleted the others anyway). An empty 00000000000000000000.log left by the refused open was a gap in front
        // of them that refused this open too.
        write47(Map.of(), null);
        Path aside = Files.createDirectory(dir.resolve("aside"));
        for (long base : List.of(0L, 15L, 30L, 45L)) {
            Files.move(log(base), aside.resolve(log(base).getFileName()));
        }
        Map<String, byte[]> before = folderContents();
        assertThatThrownBy(() -> StorageFixture.open(dir))
                .isInstanceOfSatisfying(CorruptionException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
                .hasMessageContaining("no data from offset 0 on, though the recovery point is at offset 47");
        assertThat(folderContents()).containsOnlyKeys(before.keySet()).allSatisfy(
                (name, bytes) -> assertThat(bytes).as(name).isEqualTo(before.get(name)));

        Files.move(aside.resolve(log(45).getFileName()), log(45));
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.startOffset(TP)).isEqualTo(45);
            assertThat(s.endOffset(TP)).isEqualTo(47);
            assertThat(readAll(s)).extracting(LogRecord::offset).containsExactly(45L, 46L);
        }
    }

    @Test
    void repairOfAPartitionWhoseOnlySegmentFileIsMissingReportsThatFileMissing() throws IOException {
        // the recovery point is in segment 0, the very file the repair creates afresh: the event must still say the
        // file was missing, not that an empty one ends at byte 0
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576"));
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 3; i++) {
                p.append("t", 0, record(null, "v" + i, System.currentTimeMillis())).join();
            }
        }
        Files.delete(log(0));
        Map<String, byte[]> before = folderContents();
        assertThatThrownBy(() -> StorageFixture.open(dir)).isInstanceOf(CorruptionException.class)
                .hasMessageContaining("no data from offset 0 on, though the recovery point is at offset 3")
                .hasMessageContaining("a file that is missing");
        assertThat(folderContents()).containsOnlyKeys(before.keySet()).allSatisfy(
                (name, bytes) -> assertThat(bytes).as(name).isEqualTo(before.get(name)));
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withRepairOnOpen(true))) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.fileMissing()).isTrue();
                assertThat(e.describe()).contains("offsets 0-2 are missing (file " + log(0) + " missing)");
            });
            assertThat(s.endOffset(TP)).isZero();
        }
    }

    /** Every file in the partition folder, by name, with its bytes. */
    private Map<String, byte[]> folderContents() throws IOException {
        Map<String, byte[]> contents = new java.util.TreeMap<>();
        try (Stream<Path> files = Files.list(partitionDir())) {
            for (Path f : files.toList()) {
                contents.put(f.getFileName().toString(), Files.readAllBytes(f));
            }
        }
        return contents;
    }

    @Test
    void repairDeletesTheIndexFilesLeftOfTheMissingSegmentsAtAndAboveTheCut() throws IOException {
        // 30's index files stay (it was sealed when 45 began); the repair cuts at 30, so 30 is the next segment's base
        // once segment 15 fills again: its old index files must not be left there
        write47(Map.of(), null);
        deleteSegment(45, false);
        deleteSegment(30, false);
        assertThat(indexFileBases()).contains(30L);
        assertRefusedBelowTheRecoveryPointThenRepairedTo(30, "offsets 30-46 are missing (file " + log(45) + " missing)");
    }

    @Test
    void refusesToOpenWhenTheRecoveryPointsSegmentIsCutAtABatchBoundary() throws IOException {
        // one batch per record: keeping only the first batch of segment 45 leaves a clean scan that ends at 46
        write47(Map.of(), null);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log(45),
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(BatchFormat.LOG_OVERHEAD);
            ch.read(header, 0);
            ch.truncate(BatchFormat.batchSize(header, 0));
        }
        assertRefusedBelowTheRecoveryPointThenRepairedTo(46,
                "offset 46 is missing (file " + log(45) + " ends at byte " + Files.size(log(45)) + ")");
    }

    @Test
    void refusesToOpenWhenTheRecoveryPointsSegmentIsCutAndALaterSegmentFollows() throws IOException {
        // segment 60 exists past the recovery point (an older recovery point is always allowed), and segment 45 is
        // cut below it: the gap at 60 is after the recovery point's segment but loses offsets below the point
        write47(Map.of(), null);
        Path checkpoint = partitionDir().resolve(RecoveryCheckpoint.FILE_NAME);
        byte[] at47 = Files.readAllBytes(checkpoint);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 47; i < 67; i++) {
                p.append("t", 0, record(null, "v" + i + PAD, System.currentTimeMillis())).join();
            }
        }
        assertThat(segmentBases()).containsExactly(0L, 15L, 30L, 45L, 60L);
        Files.write(checkpoint, at47);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(log(45),
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(BatchFormat.LOG_OVERHEAD);
            ch.read(header, 0);
            ch.truncate(BatchFormat.batchSize(header, 0));
        }
        assertRefusedThenRepairedTo(46, 60);
    }

    @Test
    void anIndexWhoseLastEntryPointsAtAnotherBatchIsRebuiltWithNoRecoveryEvent() throws IOException {
        write47(Map.of(), null);
        Path index = Segment.indexFile(partitionDir(), 0);
        byte[] good = Files.readAllBytes(index);
        java.nio.ByteBuffer bad = java.nio.ByteBuffer.wrap(good.clone());
        int last = bad.capacity() - 4;
        bad.putInt(last, bad.getInt(last - 8)); // the last entry's position: the batch before (still passes the load)
        Files.write(index, bad.array());
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(47);
            assertThat(readAll(s)).hasSize(47);
        }
        assertThat(index).hasBinaryContent(good);
    }

    @Test
    void aRefusedOpenDoesNotRewriteTheIndexFilesOfAnEarlierSegmentItRescanned() throws IOException {
        // segment 0's index is rebuilt by a scan, but the gap at 30 then refuses the open: the old index stays as it
        // was until an open succeeds (here the repair), since a refused open must leave the folder as it found it
        write47(Map.of(), null);
        Path index = Segment.indexFile(partitionDir(), 0);
        byte[] good = Files.readAllBytes(index);
        java.nio.ByteBuffer bad = java.nio.ByteBuffer.wrap(good.clone());
        int last = bad.capacity() - 4;
        bad.putInt(last, bad.getInt(last - 8)); // the last entry's position: the batch before (still passes the load)
        Files.write(index, bad.array());
        deleteSegment(30, false);
        assertRefusedThenRepairedTo(30, 45);
        assertThat(index).hasBinaryContent(good);
    }

    @Test
    void aMultiSegmentLogOpensWithNoRecoveryEventAndNoRescan() throws IOException {
        write47(Map.of(), null);
        Map<Path, Object> before = indexFileKeys(0, 15);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(47);
            assertThat(readAll(s)).hasSize(47);
        }
        // the segments below the recovery point's were trusted, not rescanned and resealed
        assertThat(indexFileKeys(0, 15)).isEqualTo(before);
    }

    @Test
    void aCompactedLogWhoseSegmentsEndInHolesOpensWithNoRecoveryEventAndNoRescan() throws IOException {
        // The last record of segments 0 and 15 is overwritten by record 44 (same key), so compaction leaves a hole at
        // the end of both (a batch's lastOffsetDelta still covers it); every record of segment 30 but 44 is
        // overwritten in segment 45, so its first batches are left with no records at all.
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 47; i++) {
            keys.add(i == 14 || i == 29 || i == 44 ? "dup" : i >= 30 && i < 44 ? "late" + (i % 2) : "k" + i);
        }
        keys.set(45, "late0");
        keys.set(46, "late1");
        write47(Map.of("cleanup.policy", "compact"), keys);
        List<Long> kept;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            s.runCleanerOnce(System.currentTimeMillis());
            kept = readAll(s).stream().map(LogRecord::offset).toList();
            assertThat(kept).doesNotContain(14L, 29L, 43L).contains(44L, 45L, 46L);
        }
        Map<Path, Object> before = indexFileKeys(0, 15);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(47);
            assertThat(readAll(s)).extracting(LogRecord::offset).containsExactlyElementsOf(kept);
            long firstAfterHole = kept.stream().filter(o -> o > 14).findFirst().orElseThrow();
            assertThat(s.read(TP, 14, 1, Long.MAX_VALUE)).extracting(LogRecord::offset).containsExactly(firstAfterHole);
        }
        // a hole at a segment's end still counts as ending where the next segment begins: trusted, not rescanned
        assertThat(indexFileKeys(0, 15)).isEqualTo(before);
    }
}
