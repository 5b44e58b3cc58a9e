package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The appends a failed-roll test made to one partition, in order, each with its own key, so that every acknowledged
 * one can be read back at the offset it was acknowledged with. Shared by the roll failure tests
 * ({@link RollCheckpointFailureTest}, {@link RollCreateFailureTest}).
 *
 * <p><b>Thread-safety:</b> none; one test thread appends (the futures may complete on the log's threads).
 */
final class AppendLedger {

    /** Value size of the records that fill a segment: 15 of them fit {@link TopicConfig#MIN_SEGMENT_BYTES} (1 MiB). */
    static final int BIG = 64 * 1024;
    /** Records of {@link #BIG} bytes that fill the first segment; the next one rolls. */
    static final int FILLED = 15;

    final List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
    final List<String> keys = new ArrayList<>();
    private final TopicPartition tp;

    AppendLedger(TopicPartition tp) {
        this.tp = tp;
    }

    /** Creates the ledger's topic (one partition, 1 MiB segments, {@code fsync}) and fills its first segment. */
    EmbeddedProducer fillFirstSegment(EmbeddedStorage s, String fsync) {
        StorageFixture.topic(s, tp.topic(), 1, Map.of(TopicConfig.SEGMENT_BYTES,
                String.valueOf(TopicConfig.MIN_SEGMENT_BYTES), TopicConfig.FSYNC, fsync));
        EmbeddedProducer producer = StorageFixture.producer(s);
        for (int i = 0; i < FILLED; i++) {
            append(producer, "fill" + i, BIG).join();
        }
        return producer;
    }

    /** Appends a record with key {@code key} and {@code valueBytes} zero bytes, its timestamp its index here. */
    CompletableFuture<AppendResult> append(EmbeddedProducer producer, String key, int valueBytes) {
        CompletableFuture<AppendResult> f = producer.append(tp.topic(), tp.partition(),
                new Record(StorageFixture.bytes(key), new byte[valueBytes], Headers.empty(), keys.size()));
        appends.add(f);
        keys.add(key);
        return f;
    }

    /** Every acknowledged append is read back at the offset it was acknowledged with, with its own key. */
    void assertReadable(EmbeddedStorage s, String when) {
        for (int i = 0; i < appends.size(); i++) {
            if (appends.get(i).isCompletedExceptionally()) {
                continue; // not acknowledged: the test's other assertions report it
            }
            long offset = appends.get(i).join().offset();
            List<LogRecord> read = s.read(tp, offset, 1, Long.MAX_VALUE);
            assertThat(read).as("read of offset %d (%s) %s", offset, keys.get(i), when).isNotEmpty();
            assertThat(read.get(0).offset()).as("offset read for %s %s", keys.get(i), when).isEqualTo(offset);
            assertThat(StorageFixture.text(read.get(0).key())).as("key at offset %d %s", offset, when)
                    .isEqualTo(keys.get(i));
        }
    }

    /**
     * Runs {@code appends} on another thread while this one holds {@code log}'s write lock, so they only queue; then
     * {@code thenWhilePaused} on this thread (the lock is reentrant: it may write) before the lock is let go. The next
     * write then takes everything still queued at once.
     */
    static void queueWhilePaused(PartitionLog log, Runnable appends, Runnable thenWhilePaused)
            throws InterruptedException {
        log.pauseWrites();
        try {
            Thread appender = Thread.ofPlatform().start(appends);
            appender.join();
            thenWhilePaused.run();
        } finally {
            log.resumeWrites();
        }
    }
}
