package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A roll switched the active segment and then wrote the recovery point; when that write threw, the append that
 * needed the roll failed, but the write went on with the old, sealed segment: a smaller batch queued behind it still
 * fit there and was written to the old segment at the new segment's base offset. It was acknowledged, yet a read of
 * its offset went to the new, empty segment (and under {@code fsync=always} only the new segment may have been
 * synced before the acknowledgement). The recovery point is only an optimisation of recovery, so a roll now keeps the
 * older one when the write fails and appends carry on in the new segment.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RollCheckpointFailureTest {

    private static final TopicPartition TP = new TopicPartition("roll", 0);
    /** 15 of these fill a 1 MiB segment (16 x (64 KiB + header) do not fit): the 16th append rolls. */
    private static final int BIG = 64 * 1024;
    private static final int FILLED = 15;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void keepsEveryAcknowledgedRecordReadableAtItsOffsetWhenTheRollsRecoveryPointWriteFails(String fsync)
            throws Exception {
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.SEGMENT_BYTES,
                    String.valueOf(TopicConfig.MIN_SEGMENT_BYTES), TopicConfig.FSYNC, fsync));
            EmbeddedProducer producer = StorageFixture.producer(s);
            for (int i = 0; i < FILLED; i++) {
                append(producer, appends, keys, "fill" + i, BIG).join();
            }
            PartitionLog log = s.partitionLog(TP);
            assertThat(log.segments).as("segments before the roll").hasSize(1);
            long pointBefore = RecoveryCheckpoint.read(log.dir).orElseThrow().offset();

            log.rollCheckpointFault = new IOException("injected: the recovery point could not be written");
            // One write must take a batch that rolls followed by smaller ones that would still fit the old segment:
            // hold the write lock while another thread queues them, then write them all at once.
            log.pauseWrites();
            try {
                Thread appender = Thread.ofPlatform().start(() -> {
                    append(producer, appends, keys, "rolls", BIG);
                    append(producer, appends, keys, "small1", 10);
                    append(producer, appends, keys, "small2", 10);
                });
                appender.join();
            } finally {
                log.resumeWrites();
            }
            producer.flush();

            List<String> failed = new ArrayList<>();
            List<Long> offsets = new ArrayList<>();
            for (CompletableFuture<AppendResult> f : appends) {
                if (f.isCompletedExceptionally()) {
                    f.exceptionally(e -> {
                        failed.add(e.toString());
                        return null;
                    });
                } else {
                    offsets.add(f.join().offset());
                }
            }
            assertReadable(s, appends, keys, "before reopen");
            assertThat(failed).as("appends failed because the roll's recovery point could not be written").isEmpty();
            assertThat(offsets).as("acknowledged offsets, dense from 0")
                    .containsExactlyElementsOf(LongStream.range(0, FILLED + 3).boxed().toList());
            assertThat(log.rollCheckpointFault).as("the injected fault was used").isNull();
            assertThat(log.segments.keySet()).as("segment bases after the roll").containsExactly(0L, (long) FILLED);
            assertThat(RecoveryCheckpoint.read(log.dir).orElseThrow().offset())
                    .as("the older recovery point stays when the roll's write fails").isEqualTo(pointBefore);

            log.checkpoint(); // the next checkpoint writes a current point again
            assertThat(RecoveryCheckpoint.read(log.dir).orElseThrow().offset()).isEqualTo(FILLED + 3);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(FILLED + 3);
            assertReadable(s, appends, keys, "after reopen");
        }
    }

    private static CompletableFuture<AppendResult> append(EmbeddedProducer producer,
                                                          List<CompletableFuture<AppendResult>> appends,
                                                          List<String> keys, String key, int valueBytes) {
        CompletableFuture<AppendResult> f = producer.append(TP.topic(), TP.partition(),
                new Record(StorageFixture.bytes(key), new byte[valueBytes], Headers.empty(), keys.size()));
        appends.add(f);
        keys.add(key);
        return f;
    }

    /** Every acknowledged append is read back at the offset it was acknowledged with, with its own key. */
    private static void assertReadable(EmbeddedStorage s, List<CompletableFuture<AppendResult>> appends,
                                       List<String> keys, String when) {
        for (int i = 0; i < appends.size(); i++) {
            if (appends.get(i).isCompletedExceptionally()) {
                continue; // not acknowledged: the test's other assertions report it
            }
            long offset = appends.get(i).join().offset();
            List<LogRecord> read = s.read(TP, offset, 1, Long.MAX_VALUE);
            assertThat(read).as("read of offset %d (%s) %s", offset, keys.get(i), when).isNotEmpty();
            assertThat(read.get(0).offset()).as("offset read for %s %s", keys.get(i), when).isEqualTo(offset);
            assertThat(StorageFixture.text(read.get(0).key())).as("key at offset %d %s", offset, when)
                    .isEqualTo(keys.get(i));
        }
    }
}
