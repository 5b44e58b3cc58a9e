package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.bytes;
import static io.tributary.log.internal.storage.StorageFixture.record;
import static io.tributary.log.internal.storage.StorageFixture.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AppendAndReadTest {

    @TempDir
    Path dir;

    @Test
    void appendedRecordsAreReadBackInOrderWithContiguousOffsets() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "orders", 1, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            List<CompletableFuture<AppendResult>> acks = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                acks.add(p.append("orders", 0, record("k" + (i % 7), "v" + i, 1000 + i)));
            }
            for (int i = 0; i < acks.size(); i++) {
                assertThat(acks.get(i).join().offset()).isEqualTo(i);
            }
            TopicPartition tp = new TopicPartition("orders", 0);
            assertThat(s.endOffset(tp)).isEqualTo(1000);
            List<LogRecord> all = new ArrayList<>();
            long next = 0;
            while (next < 1000) {
                List<LogRecord> got = s.read(tp, next, 300, Long.MAX_VALUE);
                all.addAll(got);
                next = got.get(got.size() - 1).offset() + 1;
            }
            assertThat(all).hasSize(1000);
            for (int i = 0; i < 1000; i++) {
                assertThat(all.get(i).offset()).isEqualTo(i);
                assertThat(text(all.get(i).value())).isEqualTo("v" + i);
                assertThat(text(all.get(i).key())).isEqualTo("k" + (i % 7));
                assertThat(all.get(i).timestamp()).isEqualTo(1000 + i);
            }
        }
    }

    @Test
    void aFlatOutStreamUnderFsyncNeverIsHandedToThePartitionWriterAndStaysOrderedAcrossReopen() {
        int n = 20_000;
        TopicPartition tp = new TopicPartition("gathered", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "gathered", 1, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            List<CompletableFuture<AppendResult>> acks = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                acks.add(p.append("gathered", 0, record("k" + (i % 13), "v" + i, i)));
            }
            for (int i = 0; i < n; i++) {
                assertThat(acks.get(i).join().offset()).isEqualTo(i);
            }
            // Appends microseconds apart must have gone through the writer thread, not one pwrite each.
            assertThat(writerThreads(tp)).isNotEmpty();
            assertThat(s.endOffset(tp)).isEqualTo(n);
        }
        assertThat(writerThreads(tp)).as("the writer stops with the log").isEmpty();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.endOffset(tp)).isEqualTo(n);
            long next = 0;
            while (next < n) {
                for (LogRecord r : s.read(tp, next, 1000, Long.MAX_VALUE)) {
                    assertThat(r.offset()).isEqualTo(next);
                    assertThat(text(r.value())).isEqualTo("v" + next);
                    assertThat(r.timestamp()).isEqualTo(next);
                    next++;
                }
            }
        }
    }

    @Test
    void aLoneAppendUnderFsyncNeverIsWrittenByTheAppendingThreadItself() {
        TopicPartition tp = new TopicPartition("lone", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "lone", 1, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 3; i++) {
                p.append("lone", 0, record("k", "v" + i, i)).join();
                sleepMillis(5); // far apart: each append writes directly, without waking a writer thread
            }
            assertThat(s.endOffset(tp)).isEqualTo(3);
            assertThat(writerThreads(tp)).isEmpty();
        }
    }

    private static List<Thread> writerThreads(TopicPartition tp) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().equals("tributary-write-" + tp))
                .toList();
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void headersTombstonesAndKeylessRecordsSurviveTheRoundTrip() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            Headers h = Headers.of(new Header("a", bytes("1")), new Header("a", bytes("2")), Header.ofString("ü", "x"));
            p.append("t", 0, new Record(null, bytes("v"), h, 5)).join();
            p.append("t", 0, new Record(bytes("k"), null, Headers.empty(), 6)).join();
            List<LogRecord> got = s.read(new TopicPartition("t", 0), 0, 10, Long.MAX_VALUE);
            assertThat(got.get(0).key()).isNull();
            assertThat(got.get(0).headers()).isEqualTo(h);
            assertThat(got.get(1).isTombstone()).isTrue();
            assertThat(text(got.get(1).key())).isEqualTo("k");
        }
    }

    @Test
    void appendAllKeepsListOrderPerPartitionAndReportsEveryOffset() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 3, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            List<Record> records = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                records.add(record("key-" + (i % 50), "value-" + i, i));
            }
            List<AppendResult> results = p.appendAll("t", records).join();
            assertThat(results).hasSize(20_000);
            long total = 0;
            for (int part = 0; part < 3; part++) {
                TopicPartition tp = new TopicPartition("t", part);
                total += s.endOffset(tp);
            }
            assertThat(total).isEqualTo(20_000);
            List<List<LogRecord>> stored = new ArrayList<>();
            for (int part = 0; part < 3; part++) {
                stored.add(s.read(new TopicPartition("t", part), 0, 20_000, Long.MAX_VALUE));
            }
            for (int i = 0; i < records.size(); i++) {
                AppendResult r = results.get(i);
                assertThat(r.partition()).isEqualTo(io.tributary.log.KeyPartitioner.partitionForKey(bytes("key-" + (i % 50)), 3));
                assertThat(text(stored.get(r.partition()).get((int) r.offset()).value())).isEqualTo("value-" + i);
            }
        }
    }

    @Test
    void readStopsAtMaxBytesButAlwaysReturnsTheFirstRecord() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 10; i++) {
                p.append("t", 0, record(null, "0123456789", i)).join();
            }
            TopicPartition tp = new TopicPartition("t", 0);
            assertThat(s.read(tp, 0, 100, 25)).hasSize(2);
            assertThat(s.read(tp, 3, 100, 1)).hasSize(1);
            assertThat(s.read(tp, 0, 4, Long.MAX_VALUE)).hasSize(4);
            assertThat(s.read(tp, 10, 4, Long.MAX_VALUE)).isEmpty();
        }
    }

    @Test
    void readTakesTheBytesOfWhatItReturnsOffTheBudgetItWasGiven() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int i = 0; i < 10; i++) {
                Headers h = Headers.empty().with("trace-\u00e9", "x".repeat(i));   // a name of 8 UTF-8 bytes
                p.append("t", 0, new Record(bytes("k" + i), bytes("0123456789"), h, i)).join();
            }
            TopicPartition tp = new TopicPartition("t", 0);
            long[] budget = {100};
            List<LogRecord> got = s.read(tp, 0, 100, budget);
            int measured = got.stream().mapToInt(LogRecord::sizeInBytes).sum();
            assertThat(got).hasSizeBetween(2, 9);
            assertThat(budget[0]).isEqualTo(100 - measured).isGreaterThanOrEqualTo(0);
            assertThat(s.read(tp, 0, 100, 100)).isEqualTo(got);

            // The first record is still returned, and the budget goes below zero; read from 8, so that a record
            // after it is there to be left out.
            long[] tiny = {1};
            assertThat(s.read(tp, 8, 100, tiny)).hasSize(1);
            assertThat(tiny[0]).isEqualTo(1 - s.read(tp, 8, 1, Long.MAX_VALUE).getFirst().sizeInBytes());
        }
    }

    @Test
    void readingBeyondTheEndIsAnOffsetOutOfRangeError() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            assertThatThrownBy(() -> s.read(new TopicPartition("t", 0), 5, 10, 100))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE))
                    .hasMessageContaining("offsets 0 to 0");
        }
    }

    @Test
    void recordsSurviveACleanRestart() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 2, Map.of("segment.bytes", "1048576"));
            EmbeddedProducer p = StorageFixture.producer(s);
            List<Record> records = new ArrayList<>();
            for (int i = 0; i < 30_000; i++) {
                records.add(record(null, "value-" + i + "-" + "x".repeat(50), i));
            }
            p.appendAll("t", records).join();
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            long total = s.endOffset(new TopicPartition("t", 0)) + s.endOffset(new TopicPartition("t", 1));
            assertThat(total).isEqualTo(30_000);
            TopicPartition tp = new TopicPartition("t", 1);
            long end = s.endOffset(tp);
            assertThat(s.read(tp, end - 1, 10, Long.MAX_VALUE)).hasSize(1);
            assertThat(s.read(tp, end / 2, 10, Long.MAX_VALUE).get(0).offset()).isEqualTo(end / 2);
            assertThat(s.describeTopic("t").partitions().get(1).sizeBytes()).isGreaterThan(1_048_576);
        }
    }
}
