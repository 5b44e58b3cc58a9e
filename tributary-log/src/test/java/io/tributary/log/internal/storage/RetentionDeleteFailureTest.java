package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.AppendLedger.BIG;
import static io.tributary.log.internal.storage.AppendLedger.FILLED;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention took the oldest segment out of the partition before it moved its file aside; when the move failed, the
 * segment was gone from the partition (its channel never closed) but its file stayed, and the next pass deleted the
 * segment after it. On reopen the old file came back in front of a gap: the open failed with a corruption error (or,
 * had the gap been past the recovery point, dropped every later segment). A segment whose file cannot be moved now
 * stays, so retention cannot delete past it. And a move that keeps failing must not stop the partition's other
 * maintenance: the cleaner runs retention, compaction and the checkpoint in one step, and a retention that threw on
 * every pass kept the recovery point where it was for good.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RetentionDeleteFailureTest {

    private static final TopicPartition TP = new TopicPartition("retentiondelete", 0);

    @TempDir
    Path dir;

    @Test
    void keepsASegmentWhoseFileRetentionCannotMoveAndDeletesNothingPastIt() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        Path blocker;
        // every cleaner pass checkpoints: the recovery point must advance though retention is stuck
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir)
                .withCheckpointInterval(Duration.ofMillis(1)))) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.SEGMENT_BYTES,
                    String.valueOf(TopicConfig.MIN_SEGMENT_BYTES), TopicConfig.RETENTION_BYTES, "100000",
                    TopicConfig.RETENTION_MS, "-1"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            for (int i = 0; i < 2 * FILLED + 2; i++) {
                ledger.append(producer, "r" + i, BIG).join();
            }
            PartitionLog log = s.partitionLog(TP);
            assertThat(log.segments.keySet()).as("segment bases").containsExactly(0L, (long) FILLED, 2L * FILLED);
            // a non-empty folder where the oldest segment's file is moved before it is deleted: the move fails
            Path first = Segment.logFile(log.dir, 0);
            blocker = first.resolveSibling(first.getFileName() + ".deleted");
            Files.createDirectories(blocker);
            Files.writeString(blocker.resolve("keep"), "x");

            Thread.sleep(2); // past the checkpoint interval
            s.runCleanerOnce(System.currentTimeMillis());
            assertThat(RecoveryCheckpoint.read(log.dir).orElseThrow().offset())
                    .as("the recovery point after the first pass (retention stuck)").isEqualTo(2L * FILLED + 2);
            ledger.append(producer, "afterFirstPass", 10).join();
            Thread.sleep(2);
            s.runCleanerOnce(System.currentTimeMillis());
            assertThat(RecoveryCheckpoint.read(log.dir).orElseThrow().offset())
                    .as("the recovery point after the next pass").isEqualTo(2L * FILLED + 3);
            assertThat(log.segments.keySet()).as("segment bases after retention could not move the oldest")
                    .containsExactly(0L, (long) FILLED, 2L * FILLED);
            assertThat(Files.exists(Segment.logFile(log.dir, FILLED))).as("the second segment's file").isTrue();
            assertThat(s.startOffset(TP)).as("start offset").isZero();
            ledger.assertReadable(s, "after the failed retention");

            Files.delete(blocker.resolve("keep"));
            Files.delete(blocker);
            assertThat(log.applyRetention(System.currentTimeMillis())).as("segments the pass after the fix deleted")
                    .isEqualTo(2);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.startOffset(TP)).isEqualTo(2L * FILLED);
            assertThat(s.endOffset(TP)).isEqualTo(2L * FILLED + 3);
        }
    }
    /**
     * Once retention had moved a segment's file aside, a failed delete of its index file threw: the caller's count and
     * its signal to waiting readers were skipped (and, since the move-failure fix, the pass stopped), and the index
     * files stayed for good, an open deleting only .tmp, .cleaned and .deleted files.
     */
    @Test
    void countsARetiredSegmentWhoseIndexFileCannotBeDeletedAndTheNextOpenDeletesIt() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        Path index;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.SEGMENT_BYTES,
                    String.valueOf(TopicConfig.MIN_SEGMENT_BYTES), TopicConfig.RETENTION_BYTES, "100000",
                    TopicConfig.RETENTION_MS, "-1"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            for (int i = 0; i < 2 * FILLED + 2; i++) {
                ledger.append(producer, "r" + i, BIG).join();
            }
            PartitionLog log = s.partitionLog(TP);
            // a non-empty folder in place of the oldest segment's offset index: deleting it fails
            index = log.segments.get(0L).indexFile();
            Files.delete(index);
            Files.createDirectories(index);
            Files.writeString(index.resolve("keep"), "x");

            assertThat(log.applyRetention(System.currentTimeMillis())).as("segments retention deleted").isEqualTo(2);
            assertThat(s.startOffset(TP)).as("start offset").isEqualTo(2L * FILLED);
            Files.delete(index.resolve("keep"));
            Files.delete(index);
            Files.writeString(index, "x"); // what a failed delete of the real index file leaves
        }
        assertThat(Files.exists(index)).as("the index left behind, before reopening").isTrue();
        Path strayTimeIndex = index.resolveSibling(Segment.fileStem(1) + Segment.TIME_INDEX_SUFFIX);
        Files.writeString(strayTimeIndex, "x");
        // not retention's leftovers, so not the open's to delete: past the first segment, not named as a segment's
        // index, not a regular file
        Path pastFirst = index.resolveSibling(Segment.fileStem(99_999) + Segment.TIME_INDEX_SUFFIX);
        Files.writeString(pastFirst, "x");
        Path notOurs = index.resolveSibling("notes" + Segment.INDEX_SUFFIX);
        Files.writeString(notOurs, "x");
        Path folder = index.resolveSibling(Segment.fileStem(2) + Segment.INDEX_SUFFIX);
        Files.createDirectories(folder);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.startOffset(TP)).isEqualTo(2L * FILLED);
            assertThat(Files.exists(index)).as("the index left behind, after reopening").isFalse();
            assertThat(Files.exists(strayTimeIndex)).as("a time index below the first segment, after reopening")
                    .isFalse();
            assertThat(Files.exists(pastFirst)).as("a time index past the first segment, after reopening").isTrue();
            assertThat(Files.exists(notOurs)).as("a file not named as a segment's index, after reopening").isTrue();
            assertThat(Files.isDirectory(folder)).as("a folder named as an index, after reopening").isTrue();
            assertThat(s.endOffset(TP)).isEqualTo(2L * FILLED + 2);
        }
    }

    /**
     * Open deleted every index file without a segment file before it checked the segments for a gap: an open refused
     * because a segment file was missing (a gap before the recovery point) still deleted that segment's index files,
     * although the operator may restore the file and open again. A refused open must change nothing.
     */
    @Test
    void leavesTheIndexFilesOfAMissingSegmentWhenTheOpenIsRefusedForTheGap() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        Path missing;
        Path missingIndex;
        Path missingTimeIndex;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.SEGMENT_BYTES,
                    String.valueOf(TopicConfig.MIN_SEGMENT_BYTES), TopicConfig.RETENTION_MS, "-1"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            for (int i = 0; i < 3 * FILLED + 2; i++) {
                ledger.append(producer, "r" + i, BIG).join();
            }
            PartitionLog log = s.partitionLog(TP);
            assertThat(log.segments.keySet()).as("segment bases").hasSize(4);
            Segment first = log.segments.firstEntry().getValue();
            Segment second = log.segments.higherEntry(first.baseOffset).getValue();
            missing = second.file;
            missingIndex = second.indexFile();
            missingTimeIndex = second.timeIndexFile();
            // without its indexes the first segment is scanned, which finds where the next one should start
            Files.delete(first.indexFile());
        } // clean close: the recovery point is in the last segment, past the gap
        Path saved = missing.resolveSibling("saved.bak");
        Files.move(missing, saved);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> StorageFixture.open(dir))
                .as("an open with a segment missing before the recovery point")
                .isInstanceOf(io.tributary.core.CorruptionException.class);
        assertThat(Files.exists(missingIndex)).as("the missing segment's offset index").isTrue();
        assertThat(Files.exists(missingTimeIndex)).as("the missing segment's time index").isTrue();
        Files.move(saved, missing); // the operator restores the file
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(3L * FILLED + 2);
            ledger.assertReadable(s, "after the file was restored");
        }
    }
}
