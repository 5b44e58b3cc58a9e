package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.AppendLedger.BIG;
import static io.tributary.log.internal.storage.AppendLedger.FILLED;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.AppendResult;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void keepsEveryAcknowledgedRecordReadableAtItsOffsetWhenTheRollsRecoveryPointWriteFails(String fsync)
            throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            assertThat(log.segments).as("segments before the roll").hasSize(1);
            long pointBefore = RecoveryCheckpoint.read(log.dir).orElseThrow().offset();

            log.rollCheckpointFault = new IOException("injected: the recovery point could not be written");
            // One write must take a batch that rolls followed by smaller ones that would still fit the old segment:
            // hold the write lock while another thread queues them, then write them all at once.
            AppendLedger.queueWhilePaused(log, () -> {
                ledger.append(producer, "rolls", BIG);
                ledger.append(producer, "small1", 10);
                ledger.append(producer, "small2", 10);
            }, () -> { });
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
            ledger.assertReadable(s, "before reopen");
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
            ledger.assertReadable(s, "after reopen");
        }
    }
}
