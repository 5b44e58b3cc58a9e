package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.Direction;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.Snapshot;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.embedded.EmbeddedStores;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A checkpoint appends the index changes of the records since the previous one to the delta file instead of
 * rewriting the whole index; a new base is written only once the delta file outgrew the last one; opening applies
 * the frames that continue the base and replays from the log whatever a torn, foreign or disconnected frame left out.
 */
class IncrementalCheckpointTest {

    private static List<EventData> events(String prefix, int n) {
        List<EventData> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(EventData.of("E", (prefix + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private static Path base(Path dir) {
        return dir.resolve("index").resolve(StreamIndex.FILE);
    }

    private static Path delta(Path dir) {
        return dir.resolve("index").resolve(StreamIndex.DELTA_FILE);
    }

    @Test
    void aCheckpointAfterTheFirstAppendsOnlyTheNewRecordsToTheDeltaFile() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 500; i++) {
                store.append("order-" + i, ExpectedVersion.noStream(), events("placed", 4));
            }
            store.checkpoint();
            byte[] baseAfterFirst = Files.readAllBytes(base(dir));
            long deltaAfterFirst = Files.size(delta(dir));
            store.append("order-7", ExpectedVersion.exactly(3), events("paid", 1));
            store.setStreamMetadata("order-8", StreamMetadata.none().withMaxCount(2));
            store.saveSnapshot(new Snapshot("order-9", 2, "S", new byte[1000], 1L));
            store.deleteStream("order-10", ExpectedVersion.any());
            store.tombstoneStream("order-11", ExpectedVersion.any());
            store.checkpoint();

            assertThat(Files.readAllBytes(base(dir))).as("the base is not rewritten").isEqualTo(baseAfterFirst);
            long frame = Files.size(delta(dir)) - deltaAfterFirst;
            // five records' changes (one event id, no snapshot payload), not the 2,000 events of the index
            assertThat(frame).isBetween(60L, 400L);
            assertThat(store.fullCheckpoints()).isEqualTo(1);
            assertThat(StreamIndex.read(dir.resolve("index"), Long.MAX_VALUE).orElseThrow().fingerprint().replaceAll("ids=\\d+", ""))
                    .isEqualTo(store.indexFingerprint().replaceAll("ids=\\d+", ""));
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            assertThat(reopened.indexFingerprint()).contains("order-10 last=3 del<4 soft").contains("order-11 last=3 del<0 tomb")
                    .contains("order-7 last=4");
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void theDeltaFileIsCompactedIntoANewBaseOnceItOutgrowsTheBase() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            store.append("seed", ExpectedVersion.noStream(), events("s", 50));
            store.checkpoint(); // the first base: small
            int appends = 0;
            while (store.fullCheckpoints() == 1) {
                assertThat(appends).as("the delta file outgrows a base of 50 events within 200 appends").isLessThan(200);
                store.append("cart-" + appends, ExpectedVersion.any(), events("c", 5));
                appends++;
                store.checkpoint();
            }
            assertThat(appends).as("delta frames until the delta file outgrew the base").isGreaterThan(2);
            assertThat(Files.size(delta(dir))).as("emptied after the new base").isEqualTo(8);
            long newBase = Files.size(base(dir));
            // the next compaction needs at least as many bytes of frames again: with appends only, the bases grow
            int more = 0;
            while (store.fullCheckpoints() == 2) {
                assertThat(more).as("the next compaction comes within 100 times the first one's appends")
                        .isLessThan(100 * appends);
                store.append("cart-" + (appends + more), ExpectedVersion.any(), events("c", 5));
                more++;
                store.checkpoint();
            }
            assertThat(more).isGreaterThanOrEqualTo(appends);
            assertThat(Files.size(base(dir))).isGreaterThan(newBase);
            store.append("tail", ExpectedVersion.any(), events("t", 1));
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isZero(); // close() wrote the last frame
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
        }
    }

    @Test
    void aTornLastFrameIsIgnoredAndItsRecordsReplayedFromTheLog() throws Exception {
        Path dir = EmbeddedStores.newDir();
        long sizeBeforeLastFrame;
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            store.append("a", ExpectedVersion.noStream(), events("a", 3));
            store.checkpoint();
            store.append("b", ExpectedVersion.noStream(), events("b", 3));
            store.checkpoint();
            sizeBeforeLastFrame = Files.size(delta(dir));
            for (int i = 0; i < 7; i++) {
                store.append("c", ExpectedVersion.any(), events("c" + i, 2));
            }
            store.checkpoint();
            assertThat(Files.size(delta(dir))).isGreaterThan(sizeBeforeLastFrame);
        }
        for (long cut : List.of(Files.size(delta(dir)) - 1, sizeBeforeLastFrame + 3, sizeBeforeLastFrame + 40)) {
            Path copy = EmbeddedStores.newDir();
            Files.createDirectories(copy.resolve("index"));
            copyTree(dir.resolve("log"), copy.resolve("log"));
            Files.copy(base(dir), base(copy));
            byte[] torn = java.util.Arrays.copyOf(Files.readAllBytes(delta(dir)), (int) cut);
            Files.write(delta(copy), torn);
            assertThat(StreamIndex.read(copy.resolve("index"), Long.MAX_VALUE).orElseThrow().coveredOffset).as("cut at %d", cut).isEqualTo(2);
            try (EmbeddedEventStore reopened = EmbeddedStores.open(copy, 1_000_000)) {
                assertThat(reopened.recoveredRecords()).as("cut at %d", cut).isEqualTo(7);
                assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            }
        }
    }

    @Test
    void aFrameWithABadChecksumStopsLoadingThere() throws Exception {
        Path dir = EmbeddedStores.newDir();
        long firstFrameEnd;
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            store.append("a", ExpectedVersion.noStream(), events("a", 1));
            store.checkpoint();
            store.append("a", ExpectedVersion.any(), events("a", 1));
            store.checkpoint();
            firstFrameEnd = Files.size(delta(dir));
            store.append("a", ExpectedVersion.any(), events("a", 1));
            store.checkpoint();
        }
        byte[] bytes = Files.readAllBytes(delta(dir));
        bytes[(int) firstFrameEnd - 10] ^= 0x40; // inside the first frame: the second, intact, must not be applied alone
        Files.write(delta(dir), bytes);
        assertThat(StreamIndex.read(dir.resolve("index"), Long.MAX_VALUE).orElseThrow().coveredOffset).isEqualTo(1);
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isEqualTo(2);
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
        }
    }

    @Test
    void framesTheBaseAlreadyCoversAreSkippedAndFramesAfterAGapAreNotApplied() throws Exception {
        // a compaction cut short by a crash: the new base is in place, the delta file still holds the frames it covers
        Path dir = EmbeddedStores.newDir();
        StreamIndex index = new StreamIndex();
        long offset = 0;
        for (int i = 0; i < 3; i++) {
            index.addAppend("s-" + i, 0, 1L, events("x", 2), offset++);
        }
        StreamIndex.write(dir, index.capture(), offset);
        StreamIndex.resetDelta(dir);
        StreamIndex.DeltaFrame frame = new StreamIndex.DeltaFrame(offset);
        frame.append(index.stream("s-0"), index.addAppend("s-0", 2, 2L, events("y", 1), offset++));
        frame.control(offset++, new LogEntry.Metadata("s-1", StreamMetadata.none().withMaxCount(1)));
        index.apply(offset - 1, new LogEntry.Metadata("s-1", StreamMetadata.none().withMaxCount(1)));
        StreamIndex.appendDelta(dir, frame, offset);
        StreamIndex.write(dir, index.capture(), offset); // the compaction's base; the crash came before resetDelta
        StreamIndex loaded = StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow();
        assertThat(loaded.coveredOffset).isEqualTo(offset);
        assertThat(loaded.fingerprint()).isEqualTo(index.fingerprint());

        // a frame that starts after what the base covers (a record missing in between) is not applied
        StreamIndex.DeltaFrame gap = new StreamIndex.DeltaFrame(offset + 1);
        gap.append("s-2", 2, 1, 3L, offset + 1, new long[] {1, 2}, 0);
        StreamIndex.appendDelta(dir, gap, offset + 2);
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow().fingerprint()).isEqualTo(index.fingerprint());
    }

    @Test
    void aDeltaFileOfAnotherFormatIsIgnoredAndABaseWithoutOneStillLoads() throws Exception {
        Path dir = EmbeddedStores.newDir();
        StreamIndex index = new StreamIndex();
        index.addAppend("s", 0, 1L, events("x", 2), 0);
        StreamIndex.write(dir, index.capture(), 1); // a checkpoint as the version before the delta file wrote it
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow().fingerprint()).isEqualTo(index.fingerprint());

        StreamIndex.resetDelta(dir);
        StreamIndex.DeltaFrame frame = new StreamIndex.DeltaFrame(1);
        frame.append("s", 2, 1, 3L, 1, new long[] {1, 2}, 0);
        StreamIndex.appendDelta(dir, frame, 2);
        assertThat(StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow().coveredOffset).isEqualTo(2);
        byte[] bytes = Files.readAllBytes(dir.resolve(StreamIndex.DELTA_FILE));
        ByteBuffer.wrap(bytes).putInt(4, 99); // a format this version does not know
        Files.write(dir.resolve(StreamIndex.DELTA_FILE), bytes);
        StreamIndex loaded = StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow();
        assertThat(loaded.coveredOffset).isEqualTo(1);
        assertThat(loaded.fingerprint()).isEqualTo(index.fingerprint());
    }

    @Test
    void aFrameBuiltAfterALargerOneInTheSameBufferHoldsOnlyItsOwnEntries() throws Exception {
        Path dir = EmbeddedStores.newDir();
        StreamIndex index = new StreamIndex();
        index.addAppend("s", 0, 1L, events("x", 1), 0);
        StreamIndex.write(dir, index.capture(), 1);
        StreamIndex.resetDelta(dir);
        StreamIndex.DeltaFrame frame = new StreamIndex.DeltaFrame(1);
        long offset = 1;
        for (int i = 0; i < 2_000; i++) { // grows the buffer past its first size
            frame.append(index.stream("big-" + i), index.addAppend("big-" + i, 0, 2L, events("b", 3), offset++));
        }
        StreamIndex.appendDelta(dir, frame, offset);
        frame.reset(offset);
        frame.append(index.stream("s"), index.addAppend("s", 1, 3L, events("y", 1), offset++));
        long before = Files.size(dir.resolve(StreamIndex.DELTA_FILE));
        StreamIndex.appendDelta(dir, frame, offset);
        assertThat(Files.size(dir.resolve(StreamIndex.DELTA_FILE)) - before).isLessThan(100);
        StreamIndex loaded = StreamIndex.read(dir, Long.MAX_VALUE).orElseThrow();
        assertThat(loaded.coveredOffset).isEqualTo(offset);
        assertThat(loaded.fingerprint()).isEqualTo(index.fingerprint());
    }

    @Test
    void aReopenedStoreContinuesTheDeltaFileInsteadOfRewritingTheBase() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 200; i++) {
                store.append("order-" + i, ExpectedVersion.noStream(), events("placed", 3));
            }
        }
        byte[] base = Files.readAllBytes(base(dir));
        for (int round = 0; round < 3; round++) {
            try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
                assertThat(store.recoveredRecords()).as("round %d", round).isZero();
                store.append("order-" + round, ExpectedVersion.any(), events("paid", 1));
                store.setStreamMetadata("order-50", StreamMetadata.none().withMaxCount(round + 1));
                store.checkpoint();
                assertThat(store.fullCheckpoints()).as("round %d: no whole-index rewrite", round).isZero();
            }
            assertThat(Files.readAllBytes(base(dir))).as("round %d", round).isEqualTo(base);
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            assertThat(reopened.indexFingerprint()).contains("order-2 last=3");
        }
    }

    @Test
    void aReopenCutsATornFrameOffSoTheFramesWrittenAfterItLoad() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 100; i++) { // a base larger than the frames below: no compaction in this test
                store.append("a-" + i, ExpectedVersion.noStream(), events("a", 3));
            }
            store.checkpoint();
            for (int i = 0; i < 5; i++) {
                store.append("b", ExpectedVersion.any(), events("b" + i, 2));
            }
            store.checkpoint();
        }
        byte[] bytes = Files.readAllBytes(delta(dir));
        Files.write(delta(dir), java.util.Arrays.copyOf(bytes, bytes.length - 7)); // a crash inside the last frame
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(store.recoveredRecords()).isEqualTo(5);
            store.append("c", ExpectedVersion.noStream(), events("c", 1));
            store.checkpoint();
            assertThat(store.fullCheckpoints()).as("a frame after the cut, not a new base").isZero();
            store.append("c", ExpectedVersion.any(), events("c", 1));
        } // close() appends one more frame
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).as("every record is in a loadable frame").isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
        }
    }

    /**
     * Regression (review): a log that comes back shorter than the checkpoint (fsync other than always, or a log folder
     * restored while the index folder was kept) made open drop the checkpoint but leave its frames; once new records
     * made the log that long again, a reopen after a crash loaded those frames, describing records that were gone.
     */
    @Test
    void framesOfRecordsTheLogNoLongerHasAreCutAtOpenAndNeverLoadAgain() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 100; i++) {
                store.append("a-" + i, ExpectedVersion.noStream(), events("a", 2));
            }
            store.checkpoint(); // the base: records [0, 100)
            for (int i = 0; i < 20; i++) {
                store.append("b", ExpectedVersion.any(), events("b" + i, 1));
            }
        } // close() appends the frame [100, 120)
        Path logAt120 = EmbeddedStores.newDir().resolve("log");
        copyTree(dir.resolve("log"), logAt120);
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 30; i++) {
                store.append("lost", ExpectedVersion.any(), events("lost" + i, 3));
            }
        } // the frame [120, 150): records the restored log will not have
        restoreLog(dir, logAt120);

        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(store.recoveredRecords()).as("base and the frame [100, 120) still load").isZero();
            assertThat(store.indexFingerprint()).doesNotContain("lost");
            for (int i = 0; i < 80; i++) { // the log grows past 150 again, with other records
                store.append("new-" + (i % 7), ExpectedVersion.any(), events("n" + i, 1));
            }
            copyIndexAside(dir); // a SIGKILL now: no checkpoint since the open
        }
        putIndexBack(dir);
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isEqualTo(80);
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint()).doesNotContain("lost");
        }
    }

    /** Regression (review): the same for a base that covers more than the log holds: open removes it. */
    @Test
    void aBaseAheadOfTheLogIsRemovedAtOpenAndNeverLoadsAgain() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 20; i++) {
                store.append("a-" + i, ExpectedVersion.noStream(), events("a", 2));
            }
        }
        Path logAt20 = EmbeddedStores.newDir().resolve("log");
        copyTree(dir.resolve("log"), logAt20);
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 30; i++) {
                store.append("lost", ExpectedVersion.any(), events("lost" + i, 5));
            }
            store.checkpoint(); // a frame larger than the base: the next checkpoint writes a new base
            store.append("lost", ExpectedVersion.any(), events("lost-last", 1));
            store.checkpoint();
            assertThat(store.fullCheckpoints()).isEqualTo(1);
        } // the base covers [0, 51)
        restoreLog(dir, logAt20);

        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(store.recoveredRecords()).isEqualTo(20);
            assertThat(base(dir)).as("the base ahead of the log is removed").doesNotExist();
            for (int i = 0; i < 80; i++) {
                store.append("new-" + (i % 7), ExpectedVersion.any(), events("n" + i, 1));
            }
            copyIndexAside(dir); // a SIGKILL now: no checkpoint since the open
        }
        putIndexBack(dir);
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isEqualTo(100);
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint()).doesNotContain("lost");
        }
    }

    /**
     * Regression (review): a checkpoint that failed after it applied the durable records to its own index but before
     * it wrote their frame (here the test hook throws there) left the next frame starting after a gap: that frame and
     * every later one were dead weight, and each reopen replayed everything since, until the next compaction.
     */
    @Test
    void aCheckpointThatFailsBeforeItsFrameIsWrittenMakesTheNextOneABase() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 100; i++) { // a base larger than the frames below: no compaction in this test
                store.append("a-" + i, ExpectedVersion.noStream(), events("a", 3));
            }
            store.checkpoint();
            store.append("b", ExpectedVersion.noStream(), events("b", 2));
            store.afterCapture = () -> {
                throw new IllegalStateException("a failure after the journal was applied");
            };
            try {
                assertThat(org.assertj.core.api.Assertions.catchThrowable(store::checkpoint))
                        .hasMessageContaining("after the journal");
            } finally {
                store.afterCapture = null;
            }
            store.append("c", ExpectedVersion.noStream(), events("c", 2));
            store.checkpoint();
            assertThat(store.fullCheckpoints()).as("a new base, not a frame after a gap").isEqualTo(2);
            store.append("c", ExpectedVersion.any(), events("c", 1));
        } // close() appends a frame after the new base
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
        }
    }

    /**
     * Regression (review): a checkpoint whose own index failed partway through the durable records (say, out of
     * memory while an array grew) dropped the rest of them with its journal, and the next base claimed to cover them:
     * a reopened store had lost those appends. The checkpoint's index is now rebuilt from the log first.
     */
    @Test
    void aCheckpointThatFailsPartwayThroughTheDurableRecordsLosesNoneOfThem() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            store.append("a", ExpectedVersion.noStream(), events("a", 2));
            store.checkpoint();
            for (int i = 0; i < 5; i++) {
                store.append("b-" + i, ExpectedVersion.noStream(), events("b", 2));
            }
            store.setStreamMetadata("b-0", StreamMetadata.none().withMaxCount(5));
            store.beforeCheckpointApplies = offset -> {
                if (offset == 3) { // the third of the new records: two applied, four not yet
                    throw new OutOfMemoryError("injected while the checkpoint's index grows");
                }
            };
            try {
                assertThat(org.assertj.core.api.Assertions.catchThrowable(store::checkpoint))
                        .isInstanceOf(OutOfMemoryError.class);
            } finally {
                store.beforeCheckpointApplies = null;
            }
            store.append("c", ExpectedVersion.noStream(), events("c", 1));
            store.checkpoint();
            assertThat(StreamIndex.read(dir.resolve("index"), Long.MAX_VALUE).orElseThrow().fingerprint()
                    .replaceAll("ids=\\d+", "")).isEqualTo(store.indexFingerprint().replaceAll("ids=\\d+", ""));
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            for (int i = 0; i < 5; i++) {
                assertThat(reopened.readStream("b-" + i, Direction.FORWARD, 0, 10)).as("b-" + i).hasSize(2);
            }
            assertThat(reopened.readStream("c", Direction.FORWARD, 0, 10)).hasSize(1);
        }
    }

    @Test
    void aFrameThatCouldNotBeAppendedMakesTheNextCheckpointABase() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 100; i++) {
                store.append("a-" + i, ExpectedVersion.noStream(), events("a", 3));
            }
            store.checkpoint();
            store.append("b", ExpectedVersion.noStream(), events("b", 2));
            Files.delete(delta(dir)); // appending the frame fails: the file it would extend is gone
            assertThat(org.assertj.core.api.Assertions.catchThrowable(store::checkpoint))
                    .isInstanceOf(java.nio.file.NoSuchFileException.class);
            store.append("c", ExpectedVersion.noStream(), events("c", 2));
            store.checkpoint();
            assertThat(store.fullCheckpoints()).isEqualTo(2);
            assertThat(Files.size(delta(dir))).as("emptied after the new base").isEqualTo(8);
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint()).contains("b last=1");
        }
    }

    private static void restoreLog(Path dir, Path log) throws java.io.IOException {
        try (var files = Files.walk(dir.resolve("log"))) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        copyTree(log, dir.resolve("log"));
    }

    private static void copyIndexAside(Path dir) throws java.io.IOException {
        EmbeddedCheckpointTest.copyIndex(dir.resolve("index"), dir.resolve("index-at-kill"));
    }

    private static void putIndexBack(Path dir) throws java.io.IOException {
        EmbeddedCheckpointTest.copyIndex(dir.resolve("index-at-kill"), dir.resolve("index"));
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
