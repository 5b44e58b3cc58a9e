package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static io.tributary.log.internal.storage.StorageFixture.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Record;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.io.RandomAccessFile;
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

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RecoveryTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path dir;

    private Path segmentFile() {
        return dir.resolve("t-0").resolve("00000000000000000000.log");
    }

    /** Appends {@code n} one-record batches ("v0", "v1", ...) and returns each batch's start position. */
    private List<Long> appendBatches(EmbeddedStorage s, int n) {
        EmbeddedProducer p = StorageFixture.producer(s);
        List<Long> positions = new ArrayList<>();
        long pos = 0;
        for (int i = 0; i < n; i++) {
            Record r = record("k" + i, "v" + i, 1000 + i);
            positions.add(pos);
            pos += BatchFormat.encodeOne(r).length;
            p.append("t", 0, r).join();
        }
        return positions;
    }

    private void flipByte(Path file, long position) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(position);
            int b = f.read();
            f.seek(position);
            f.write(b ^ 0x5A);
        }
    }

    private void assertRecords(EmbeddedStorage s, int count) {
        assertThat(s.endOffset(TP)).isEqualTo(count);
        List<LogRecord> all = count == 0 ? List.of() : s.read(TP, 0, count + 10, Long.MAX_VALUE);
        assertThat(all).hasSize(count);
        for (int i = 0; i < count; i++) {
            assertThat(all.get(i).offset()).isEqualTo(i);
            assertThat(text(all.get(i).value())).isEqualTo("v" + i);
        }
    }

    @Test
    void aPartialBatchAtTheTailIsTruncatedAndReportedWithBytesAndOffsets() throws IOException {
        // without preallocation the file ends at the last batch, so appending to the file models the torn write
        // (PreallocationTest tears one inside the zero tail)
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withSegmentPreallocateBytes(0))) {
            StorageFixture.topic(s, "t", 1, Map.of());
            appendBatches(s, 100);
            s.abandon();
        }
        byte[] next = BatchFormat.encodeOne(record("k", "never acknowledged", 5));
        try (FileChannel ch = FileChannel.open(segmentFile(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.wrap(next, 0, 30)); // a write cut short by the crash
        }
        int lastNonZero = 29;
        while (next[lastNonZero] == 0) {
            lastNonZero--;
        }
        int torn = lastNonZero + 1;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.partition()).isEqualTo(TP);
                assertThat(e.bytesTruncated()).isEqualTo(30);
                assertThat(e.firstLostOffset()).isEqualTo(100);
                assertThat(e.repaired()).isFalse();
                // the torn header may end in zero bytes: those are counted apart from the bytes that held data
                assertThat(e.zeroBytes()).isEqualTo(30 - torn);
                assertThat(e.describe()).contains(torn == 30 ? "truncated 30 bytes at" : "truncated " + torn
                        + " bytes of data and " + (30 - torn) + " trailing zero bytes", "00000000000000000000.log",
                        "offsets from 100");
            });
            assertRecords(s, 100);
            StorageFixture.producer(s).append("t", 0, record("k", "v100", 1)).join();
            assertRecords(s, 101);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("a clean close leaves nothing to recover").isEmpty();
        }
    }

    @Test
    void flippedBytesInTheTailAfterTheRecoveryPointAreCutOffThere() throws IOException {
        List<Long> positions;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            positions = appendBatches(s, 100);
            s.abandon(); // the recovery point stays at offset 0
        }
        flipByte(segmentFile(), positions.get(90) + 40);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.firstLostOffset()).isEqualTo(90);
                assertThat(e.position()).isEqualTo(positions.get(90));
                assertThat(e.problem()).contains("CRC-32C");
            });
            assertRecords(s, 90);
        }
    }

    @Test
    void corruptionBeforeTheRecoveryPointRefusesToOpenNamingFileAndOffset() throws IOException {
        List<Long> positions;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            positions = appendBatches(s, 100);
        } // clean close: recovery point at offset 100
        flipByte(segmentFile(), positions.get(50) + 40);
        assertThatThrownBy(() -> StorageFixture.open(dir))
                .isInstanceOfSatisfying(CorruptionException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA))
                .hasMessageContaining(segmentFile().toString())
                .hasMessageContaining("at byte " + positions.get(50))
                .hasMessageContaining("offset 50")
                .hasMessageContaining("repair");
        // refusing released the folder and changed nothing: the same refusal again, then repair works
        assertThatThrownBy(() -> StorageFixture.open(dir)).isInstanceOf(CorruptionException.class);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withRepairOnOpen(true))) {
            assertThat(s.recoveryEvents()).singleElement().satisfies(e -> {
                assertThat(e.repaired()).isTrue();
                assertThat(e.firstLostOffset()).isEqualTo(50);
            });
            assertRecords(s, 50);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertRecords(s, 50);
        }
    }

    @Test
    void corruptionInAnOlderSegmentIsReportedWhenReadNotServed() throws IOException {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "fsync", "never"));
            List<Record> rs = new ArrayList<>();
            for (int i = 0; i < 12_000; i++) {
                rs.add(record(null, "v" + i + "-" + "x".repeat(100), i));
            }
            StorageFixture.producer(s).appendAll("t", rs).join();
            assertThat(s.segmentCount(TP)).isGreaterThan(1);
        }
        flipByte(segmentFile(), 5000);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.endOffset(TP)).isEqualTo(12_000); // open checks only the last segment: bounded recovery
            assertThatThrownBy(() -> s.read(TP, 0, 100_000, Long.MAX_VALUE))
                    .isInstanceOf(CorruptionException.class)
                    .hasMessageContaining(segmentFile().toString());
            assertThat(s.read(TP, 11_999, 1, Long.MAX_VALUE)).hasSize(1);
        }
    }

    @Test
    void missingOrDamagedIndexFilesAreRebuiltFromTheData() throws IOException {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576", "fsync", "never"));
            List<Record> rs = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                rs.add(record(null, "v" + i + "-" + "x".repeat(100), i));
            }
            StorageFixture.producer(s).appendAll("t", rs).join();
        }
        Path index = dir.resolve("t-0").resolve("00000000000000000000.index");
        assertThat(index).exists();
        Files.write(index, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}); // garbage
        Files.delete(dir.resolve("t-0").resolve("00000000000000000000.timeindex"));
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            for (int off : new int[] {0, 1, 4321, 7000, 19_999}) {
                assertThat(text(s.read(TP, off, 1, Long.MAX_VALUE).get(0).value())).startsWith("v" + off + "-");
            }
            assertThat(s.offsetForTimestamp(TP, 4321)).hasValue(4321);
        }
        assertThat(SegmentIndex.load(index, false, Files.size(segmentFile()))).isPresent();
    }

    @Test
    void aReadThatFallsBackFromABadIndexEntryPutsTheBytesOfWhatItDroppedBackOnTheBudget() throws IOException {
        // A record whose value is a whole, valid batch (offsets 1 and 2, CRC and all): an index entry pointing into
        // that value decodes two records that are not in the log, then meets garbage, and the read starts the
        // segment again from its first batch.
        ByteBuffer inner = ByteBuffer.wrap(BatchFormat.encode(List.of(record(null, "fake-1", 1),
                record(null, "fake-2", 2)), 0, 2));
        inner.putLong(BatchFormat.BASE_OFFSET, 1);   // not covered by the CRC
        byte[] innerBytes = inner.array();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("segment.bytes", "1048576"));
            EmbeddedProducer p = StorageFixture.producer(s);
            p.append("t", 0, new Record(null, innerBytes, io.tributary.core.Headers.empty(), 0)).join();
            for (int i = 1; i < 5; i++) {
                p.append("t", 0, record(null, "v" + i, i)).join();
            }
            List<Record> filler = new ArrayList<>();   // rolls the first segment, so its index is read from its file
            for (int i = 0; i < 1100; i++) {
                filler.add(record(null, "x".repeat(1000), 10 + i));
            }
            p.appendAll("t", filler).join();
        }
        byte[] data = Files.readAllBytes(segmentFile());
        int at = -1;
        for (int i = 0; i + innerBytes.length <= data.length && at < 0; i++) {
            if (java.util.Arrays.equals(data, i, i + innerBytes.length, innerBytes, 0, innerBytes.length)) {
                at = i;
            }
        }
        assertThat(at).as("the inner batch in the segment").isPositive();
        ByteBuffer index = ByteBuffer.allocate(16);
        index.putInt(0x54495831).putShort((short) 1).putShort((short) 8).putInt(1).putInt(at);   // offset 1 -> inside
        Files.write(dir.resolve("t-0").resolve("00000000000000000000.index"), index.array());

        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            long[] budget = {1_000_000};
            List<LogRecord> got = s.read(TP, 1, 4, budget);
            assertThat(got).extracting(r -> text(r.value())).containsExactly("v1", "v2", "v3", "v4");
            assertThat(budget[0]).as("the budget less the bytes of the records returned, and of nothing else")
                    .isEqualTo(1_000_000 - got.stream().mapToInt(LogRecord::sizeInBytes).sum());
        }
    }
}
