package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static io.tributary.log.internal.storage.StorageFixture.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.CorruptionException;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preallocation of the active segment under {@code fsync=always}: zeros are kept synced ahead of the end, the end is
 * never taken from the file's length, a roll and a clean close cut the zeros off, and recovery takes a zero tail of
 * the last segment as its end while still reporting torn writes and zeros anywhere else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PreallocationTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);
    private static final int AHEAD = 512 * 1024;

    @TempDir
    Path dir;

    private EmbeddedStorage open() {
        return EmbeddedStorage.open(StorageFixture.config(dir).withSegmentPreallocateBytes(AHEAD));
    }

    private Path partitionDir() {
        return dir.resolve("t-0");
    }

    private Path segmentFile(long base) {
        return Segment.logFile(partitionDir(), base);
    }

    private static Segment active(EmbeddedStorage s) {
        return s.partitionLog(TP).segments.lastEntry().getValue();
    }

    private static void append(EmbeddedStorage s, int from, int count, int valueBytes) {
        EmbeddedProducer p = StorageFixture.producer(s);
        for (int i = from; i < from + count; i++) {
            p.append("t", 0, value(i, valueBytes)).join();
        }
    }

    private static Record value(int i, int valueBytes) {
        String v = "v" + i + "-";
        return record("k" + i, v + "x".repeat(Math.max(0, valueBytes - v.length())), 1000 + i);
    }

    /** Waits until the file holds zeros past the segment's end and no fill is running. */
    private static void awaitPreallocated(Segment seg) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!(Files.size(seg.file) > seg.size && seg.zeroedEnd > seg.size && !seg.filling())) {
            assertThat(System.nanoTime()).as("%s was preallocated within 20 s", seg.file).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** Where walking the file batch by batch from the start stops: at its length if it holds nothing but batches. */
    private static long walk(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer b = ByteBuffer.wrap(bytes);
        int pos = 0;
        while (pos + BatchFormat.LOG_OVERHEAD <= bytes.length) {
            int size = BatchFormat.batchSize(b, pos);
            if (size < BatchFormat.HEADER_SIZE || pos + size > bytes.length || !BatchFormat.isValid(b, pos, size)) {
                break;
            }
            pos += size;
        }
        return pos;
    }

    private static long batchStart(Path file, int index) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        long pos = 0;
        for (int i = 0; i < index; i++) {
            pos += BatchFormat.batchSize(b, (int) pos);
        }
        return pos;
    }

    private static boolean zerosFrom(Path file, long from) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        for (int i = (int) from; i < bytes.length; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static void assertRecords(EmbeddedStorage s, int count, int valueBytes) {
        assertThat(s.endOffset(TP)).isEqualTo(count);
        List<LogRecord> all = new ArrayList<>();
        long next = 0;
        while (next < count) {
            List<LogRecord> got = s.read(TP, next, 100_000, Long.MAX_VALUE);
            all.addAll(got);
            next = got.get(got.size() - 1).offset() + 1;
        }
        assertThat(all).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(all.get(i).offset()).isEqualTo(i);
            assertThat(text(all.get(i).value())).isEqualTo(text(value(i, valueBytes).value()));
        }
    }

    @Test
    void keepsSyncedZerosAheadOfTheEndOfAnFsyncAlwaysSegment() throws Exception {
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 10, 100);
            Segment seg = active(s);
            awaitPreallocated(seg);
            assertThat(Files.size(seg.file)).as("a fill reaches about %d bytes past the end", AHEAD)
                    .isGreaterThan(seg.size + AHEAD / 2);
            assertThat(zerosFrom(seg.file, seg.size)).as("everything past the end is zero").isTrue();
            assertThat(walk(seg.file)).isEqualTo(seg.size);
        }
    }

    @Test
    void aPartitionThatWritesLittleKeepsLittleDiskInZeros() throws Exception {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir))) { // the default: up to 8 MiB
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 20, 100);
            Segment seg = active(s);
            awaitPreallocated(seg);
            append(s, 20, 20, 100); // appends after the first fill start no larger one: the segment is still small
            Thread.sleep(100);
            assertThat(seg.filling()).isFalse();
            assertThat(Files.size(seg.file)).as("about the first fill's 1 MiB past a %d-byte segment, not 8 MiB", seg.size)
                    .isLessThanOrEqualTo(seg.size + PartitionLog.FILL_GAP + PartitionLog.FIRST_FILL);
        }
    }

    @Test
    void readsStopAtTheEndAndNeverReturnBytesFromTheZeroTail() throws Exception {
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 50, 200);
            awaitPreallocated(active(s));
            assertRecords(s, 50, 200);
            assertThat(s.read(TP, 50, 1000, Long.MAX_VALUE)).as("nothing at the end").isEmpty();
            assertThat(s.offsetForTimestamp(TP, 1_000_000)).as("no timestamp past the last record").isEmpty();
            // appends into the zero-filled stretch overwrite the zeros and are read back exactly
            append(s, 50, 500, 200);
            assertRecords(s, 550, 200);
            assertThat(s.read(TP, 550, 1000, Long.MAX_VALUE)).isEmpty();
        }
    }

    @Test
    void aRollCutsTheZerosOffTheClosedSegment() throws Exception {
        int valueBytes = 1000;
        int count = 2500; // about 2.5 MiB: two rolls at 1 MiB
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always", "segment.bytes", "1048576"));
            append(s, 0, count, valueBytes);
            assertThat(s.segmentCount(TP)).isGreaterThanOrEqualTo(3);
            List<Segment> segments = new ArrayList<>(s.partitionLog(TP).segments.values());
            for (Segment closed : segments.subList(0, segments.size() - 1)) {
                assertThat(Files.size(closed.file)).as("length of closed %s", closed.file).isEqualTo(closed.size);
                assertThat(walk(closed.file)).as("%s holds only whole batches", closed.file).isEqualTo(closed.size);
                assertThat(Files.size(closed.file)).as("no closed segment runs past segment.bytes").isLessThanOrEqualTo(1_048_576);
            }
            assertRecords(s, count, valueBytes);
        }
        try (EmbeddedStorage s = open()) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertRecords(s, count, valueBytes);
        }
    }

    @Test
    void aCleanCloseLeavesNoZeroTail() throws Exception {
        long end;
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 20, 100);
            Segment seg = active(s);
            awaitPreallocated(seg);
            end = seg.size;
        }
        assertThat(Files.size(segmentFile(0))).isEqualTo(end);
        assertThat(walk(segmentFile(0))).isEqualTo(end);
        try (EmbeddedStorage s = open()) {
            assertThat(s.recoveryEvents()).as("a clean close leaves nothing to recover").isEmpty();
            assertRecords(s, 20, 100);
        }
    }

    @Test
    void aCrashLeavesAZeroTailThatRecoveryTakesAsTheEndWithoutReportingIt() throws Exception {
        long end;
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 30, 100);
            Segment seg = active(s);
            awaitPreallocated(seg);
            end = seg.size;
            s.abandon();
        }
        assertThat(Files.size(segmentFile(0))).as("the crash left the zeros").isGreaterThan(end);
        try (EmbeddedStorage s = open()) {
            assertThat(s.recoveryEvents()).as("zeros are the preallocated tail, not a torn write").isEmpty();
            assertThat(Files.size(segmentFile(0))).as("recovery cut the zeros off").isEqualTo(end);
            assertRecords(s, 30, 100);
            append(s, 30, 5, 100);
            assertRecords(s, 35, 100);
            awaitPreallocated(active(s));
            assertThat(Files.size(segmentFile(0))).as("appends after the reopen preallocate again").isGreaterThan(active(s).size);
        }
    }

    @Test
    void aTornBatchInFrontOfTheZeroTailIsStillReportedAndCut() throws Exception {
        long end;
        long length;
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 30, 100);
            Segment seg = active(s);
            awaitPreallocated(seg);
            end = seg.size;
            s.abandon();
        }
        length = Files.size(segmentFile(0));
        byte[] next = BatchFormat.encodeOne(record("k", "never acknowledged", 5));
        try (FileChannel ch = FileChannel.open(segmentFile(0), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(next, 0, 30), end); // a write into the zeros cut short by the crash
        }
        int lastNonZero = 29;
        while (next[lastNonZero] == 0) {
            lastNonZero--;
        }
        long torn = lastNonZero + 1L; // the header's last bytes may be zeros, which count with the zero tail
        try (EmbeddedStorage s = open()) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.position()).isEqualTo(end);
                assertThat(e.firstLostOffset()).isEqualTo(30);
                assertThat(e.bytesTruncated()).as("the torn bytes and the zeros after them").isEqualTo(length - end);
                assertThat(e.zeroBytes()).as("the zeros after the last non-zero torn byte").isEqualTo(length - end - torn);
                assertThat(e.describe()).contains("truncated " + torn + " bytes of data and " + (length - end - torn)
                        + " trailing zero bytes");
            });
            assertRecords(s, 30, 100);
        }
    }

    @Test
    void zerosInsideASegmentThatIsNotTheLastAreReported() throws Exception {
        int count = 1500;
        long firstEnd;
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always", "segment.bytes", "1048576"));
            append(s, 0, count, 1000);
            assertThat(s.segmentCount(TP)).isEqualTo(2);
            firstEnd = s.partitionLog(TP).segments.firstEntry().getValue().size;
            s.abandon();
        }
        // impossible in normal operation (a roll cuts the zeros off before the next segment exists): zeros at the end
        // of the first segment, and no recovery point, so recovery reads the first segment too
        try (FileChannel ch = FileChannel.open(segmentFile(0), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8192), firstEnd);
        }
        Files.delete(partitionDir().resolve(RecoveryCheckpoint.FILE_NAME));
        try (EmbeddedStorage s = open()) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.file()).isEqualTo(segmentFile(0));
                assertThat(e.position()).isEqualTo(firstEnd);
                assertThat(e.problem()).contains("zero bytes where a batch should start");
            });
        }
    }

    @Test
    void zerosWhereTheRecoveryPointSaysBatchesWereAreCorruptionNotATail() throws Exception {
        long end;
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 100, 100);
            end = active(s).size;
        } // clean close: the recovery point is at the end
        long zeroFrom = batchStart(segmentFile(0), 50);
        try (FileChannel ch = FileChannel.open(segmentFile(0), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate((int) (end - zeroFrom)), zeroFrom);
        }
        assertThatThrownBy(this::open)
                .isInstanceOf(CorruptionException.class)
                .hasMessageContaining(segmentFile(0).toString())
                .hasMessageContaining("zero bytes where a batch should start, before the recovery point");
    }

    @Test
    void withPreallocationOffTheFileEndsAtTheLastBatch() throws Exception {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withSegmentPreallocateBytes(0))) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            append(s, 0, 200, 100);
            Thread.sleep(200); // a fill, were one started, would have written by now
            Segment seg = active(s);
            assertThat(seg.filling()).isFalse();
            assertThat(Files.size(seg.file)).isEqualTo(seg.size);
        }
    }

    @Test
    void fsyncNeverSegmentsAreNotPreallocated() throws Exception {
        try (EmbeddedStorage s = open()) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "never"));
            append(s, 0, 200, 100);
            Thread.sleep(200);
            Segment seg = active(s);
            assertThat(seg.filling()).isFalse();
            assertThat(Files.size(seg.file)).as("the sync is not on the ack path: no zeros").isEqualTo(seg.size);
        }
    }

    @Test
    void theSettingIsReadAndCheckedWithTheOtherEmbeddedSettings() {
        assertThat(EmbeddedLogConfig.defaults().segmentPreallocateBytes())
                .isEqualTo(EmbeddedLogConfig.DEFAULT_SEGMENT_PREALLOCATE_BYTES);
        assertThat(EmbeddedLogConfig.fromSettings(Map.of(EmbeddedLogConfig.SEGMENT_PREALLOCATE_BYTES, "0"))
                .segmentPreallocateBytes()).isZero();
        assertThatThrownBy(() -> EmbeddedLogConfig.fromSettings(Map.of(EmbeddedLogConfig.SEGMENT_PREALLOCATE_BYTES, "-5")))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("segment-preallocate-bytes='-5' must be a whole number between 0 and 1073741824");
    }
}
