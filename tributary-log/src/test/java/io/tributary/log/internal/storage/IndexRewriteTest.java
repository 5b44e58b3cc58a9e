package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.AppendLedger.BIG;
import static io.tributary.log.internal.storage.AppendLedger.FILLED;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.AppendResult;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A segment's index files are written when it is sealed: by a roll, and again by the next roll when one fails after
 * sealing (appends then go on in the sealed segment). The files used to be rewritten in place (truncated, then
 * written): a write that failed or a crash in the middle left a torn file. They are now written to a temp file, synced
 * and renamed over the old one. What this covers is the failed write leaving the old files whole; that the rename
 * also keeps a consumer's memory map of the old file intact (an in-place truncate could fault a read) is not
 * exercised: no test holds a read inside the truncate-to-rewrite window the old code had.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class IndexRewriteTest {

    private static final TopicPartition TP = new TopicPartition("indexrewrite", 0);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void keepsTheIndexFilesWholeWhenARollsRewriteOfThemFails(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        byte[] indexBefore;
        byte[] timeIndexBefore;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            Segment first = log.segments.get(0L);
            log.rollCreateFault = new IOException("injected: the new segment could not be created");
            assertThat(ledger.append(producer, "firstRollFails", BIG)).as("the first roll's append")
                    .failsWithin(10, TimeUnit.SECONDS);
            indexBefore = Files.readAllBytes(first.indexFile());
            timeIndexBefore = Files.readAllBytes(first.timeIndexFile());

            first.sealFault = new IOException("injected: the index write failed halfway");
            CompletableFuture<AppendResult> second = ledger.append(producer, "secondRollFails", BIG);
            assertThat(second).as("the second roll's append").failsWithin(10, TimeUnit.SECONDS);
            assertThat(first.sealFault).as("the injected fault was used").isNull();
            assertThat(Files.readAllBytes(first.indexFile())).as("the offset index file after the failed rewrite")
                    .isEqualTo(indexBefore);
            assertThat(Files.readAllBytes(first.timeIndexFile())).as("the time index file after the failed rewrite")
                    .isEqualTo(timeIndexBefore);
            ledger.assertReadable(s, "after the failed rewrite");

            ledger.append(producer, "rollWorks", BIG).get(10, TimeUnit.SECONDS);
            assertThat(log.segments.keySet()).as("segment bases after the roll that worked")
                    .containsExactly(0L, (long) FILLED);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(FILLED + 1);
            ledger.assertReadable(s, "after reopen");
        }
    }

    /**
     * Coverage of the load checks (they held before the change): a trusted segment's index file cut inside an entry,
     * or ending in zeroed pages, is rejected on open and rebuilt from the data.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"cut", "zeroed"})
    void rebuildsATornIndexFileOnOpenWithNoRecordLost(String tear) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        Path index;
        Path timeIndex;
        byte[] indexWhole;
        byte[] timeIndexWhole;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "never");
            ledger.append(producer, "rolls", BIG).join();
            ledger.append(producer, "after", 10).join();
            Segment first = s.partitionLog(TP).segments.get(0L);
            index = first.indexFile();
            timeIndex = first.timeIndexFile();
        }
        indexWhole = Files.readAllBytes(index);
        timeIndexWhole = Files.readAllBytes(timeIndex);
        assertThat(indexWhole.length).as("offset index bytes (several entries)")
                .isGreaterThan(SegmentIndex.FILE_HEADER + 3 * 8);
        tearFile(index, tear, 8);
        tearFile(timeIndex, tear, 12);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(FILLED + 2);
            ledger.assertReadable(s, "after reopen");
        }
        assertThat(Files.readAllBytes(index)).as("the offset index file, rebuilt").isEqualTo(indexWhole);
        assertThat(Files.readAllBytes(timeIndex)).as("the time index file, rebuilt").isEqualTo(timeIndexWhole);
    }

    /** Cuts the file inside its second half's first entry, or zeroes its second half of entries. */
    private static void tearFile(Path file, String tear, int entrySize) throws IOException {
        long size = Files.size(file);
        long entries = (size - SegmentIndex.FILE_HEADER) / entrySize;
        long half = SegmentIndex.FILE_HEADER + entries / 2 * entrySize;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            if (tear.equals("cut")) {
                ch.truncate(half + entrySize / 2);
            } else {
                ch.write(ByteBuffer.allocate((int) (size - half)), half);
            }
        }
    }
}
