package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.AppendLedger.BIG;
import static io.tributary.log.internal.storage.AppendLedger.FILLED;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.AppendResult;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A roll whose {@link Segment#create} failed after opening the new file (a failed truncate or folder sync, e.g. EIO
 * or a full disk) left an empty {@code <N>.log} behind while appends went on in the old segment at offsets N and up.
 * The next roll wrote a recovery point naming its own, later segment; on reopen the old segment was trusted to end at
 * N (the stray file's base), the stray file scanned empty to N, and the later segment, starting past N, was deleted as
 * a recovery event: acknowledged records lost. A failed create now deletes its file, and the roll makes sure.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RollCreateFailureTest {

    private static final TopicPartition TP = new TopicPartition("rollcreate", 0);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void keepsEveryAcknowledgedRecordAcrossReopenWhenARollFailsToCreateItsSegment(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            assertThat(log.segments).as("segments before the roll").hasSize(1);

            log.rollCreateFault = new IOException("injected: the new segment's folder could not be synced");
            // One write takes a batch that rolls (and fails) followed by smaller ones that still fit the old segment,
            // which are written there at offsets FILLED and up.
            AppendLedger.queueWhilePaused(log, () -> {
                ledger.append(producer, "rollFails", BIG);
                ledger.append(producer, "small1", 10);
                ledger.append(producer, "small2", 10);
            }, () -> { });
            producer.flush();
            assertThat(log.rollCreateFault).as("the injected fault was used").isNull();
            assertThat(appends.get(FILLED)).as("the append whose roll failed").isCompletedExceptionally();
            assertThat(Files.exists(Segment.logFile(log.dir, FILLED)))
                    .as("the failed roll's empty %s is gone", Segment.logFile(log.dir, FILLED)).isFalse();

            ledger.append(producer, "rollWorks", BIG).join(); // the next roll succeeds
            producer.flush();
            assertThat(log.segments.keySet()).as("segment bases after the second roll")
                    .containsExactly(0L, (long) FILLED + 2);
            ledger.assertReadable(s, "before reopen");
        }
        List<Long> acked = new ArrayList<>();
        for (CompletableFuture<AppendResult> f : appends) {
            if (!f.isCompletedExceptionally()) {
                acked.add(f.join().offset());
            }
        }
        assertThat(acked).as("acknowledged offsets, dense from 0")
                .containsExactlyElementsOf(LongStream.range(0, FILLED + 3).boxed().toList());
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).as("data recovery found missing or torn").isEmpty();
            assertThat(s.endOffset(TP)).isEqualTo(FILLED + 3);
            ledger.assertReadable(s, "after reopen");
        }
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void refusesAppendsNamingTheFileWhenAFailedRollsFileCannotBeDeleted(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            // a non-empty folder where the new segment file goes: opening it fails, and so does deleting it
            Path stray = Segment.logFile(log.dir, FILLED);
            Files.createDirectories(stray.resolve("blocker"));

            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollFails", BIG);
            producer.flush();
            assertThat(rolls).as("the append whose roll failed").isCompletedExceptionally();
            CompletableFuture<AppendResult> small = ledger.append(producer, "small", 10);
            producer.flush();
            assertThat(small).as("an append that would fit the old segment past offset %d", FILLED)
                    .isCompletedExceptionally();
            Throwable refusal = small.handle((r, e) -> e).join();
            assertThat(String.valueOf(refusal)).as("the refusal names the file").contains(stray.toString())
                    .contains("accepts no more appends").contains("nor delete the empty " + stray);
            assertThat(log.segments.keySet()).as("segment bases").containsExactly(0L);
            ledger.assertReadable(s, "after the refusal");
        }
    }

    /**
     * A failed create may itself be a failed folder sync, after which a later sync that succeeds does not prove the
     * stray file's delete reached the disk: a delete the roll cannot sync counts as failed, and stops appends.
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void refusesAppendsWhenAFailedRollCannotSyncTheDeleteOfItsFile(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            log.rollCreateFault = new IOException("injected: the new segment's folder could not be synced");
            log.rollStraySyncFault = new IOException("injected: the folder could not be synced after the delete");

            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollFails", BIG);
            producer.flush();
            assertThat(rolls).as("the append whose roll failed").isCompletedExceptionally();
            assertThat(log.rollStraySyncFault).as("the injected sync fault was used").isNull();
            CompletableFuture<AppendResult> small = ledger.append(producer, "small", 10);
            producer.flush();
            assertThat(small).as("an append that would fit the old segment past offset %d", FILLED)
                    .isCompletedExceptionally();
            assertThat(String.valueOf(small.handle((r, e) -> e).join()))
                    .as("the refusal names the file and the step that failed, the folder sync after the delete")
                    .contains(Segment.logFile(log.dir, FILLED).toString()).contains("accepts no more appends")
                    .contains("the folder sync failed").doesNotContain("nor delete the empty");
            assertThat(s.endOffset(TP)).as("end offset: nothing written past the stray file's base")
                    .isEqualTo(FILLED);
            ledger.assertReadable(s, "after the refusal");
        }
    }

    /**
     * The refusal must also reach appends taken in the same write as the failed roll: they were written to the old
     * segment at offsets from the stray file's base up, and acknowledged, although the roll had just stopped appends.
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void refusesAppendsQueuedBehindARollWhoseFileCannotBeDeleted(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            Path stray = Segment.logFile(log.dir, FILLED);
            Files.createDirectories(stray.resolve("blocker"));

            // one write takes the append that rolls (and fails) and the small one queued behind it
            AppendLedger.queueWhilePaused(log, () -> {
                ledger.append(producer, "rollFails", BIG);
                ledger.append(producer, "small", 10);
            }, () -> { });
            producer.flush();
            assertThat(appends.get(FILLED)).as("the append whose roll failed").isCompletedExceptionally();
            CompletableFuture<AppendResult> small = appends.get(FILLED + 1);
            assertThat(small).as("an append queued behind the failed roll, fitting the old segment past offset %d",
                    FILLED).isCompletedExceptionally();
            assertThat(String.valueOf(small.handle((r, e) -> e).join())).as("the refusal names the file")
                    .contains(stray.toString()).contains("accepts no more appends");
            assertThat(s.endOffset(TP)).as("end offset: nothing written past the stray file's base")
                    .isEqualTo(FILLED);
            ledger.assertReadable(s, "after the refusal");
        }
    }

    /**
     * Retention rolls an expired active segment after writing what is queued. When that roll failed, the batches it had
     * just written were never acknowledged under fsync=never (no sync thread acknowledges them), so their appends
     * never completed and flush() waited forever.
     */
    @Test
    void acknowledgesWhatRetentionWroteWhenItsRollFails() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<CompletableFuture<AppendResult>> appends = ledger.appends;
        List<String> keys = ledger.keys;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.RETENTION_MS, "3600000",
                    TopicConfig.FSYNC, "never"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            ledger.append(producer, "expired", 10).join(); // timestamp 0: long past retention.ms
            PartitionLog log = s.partitionLog(TP);

            log.rollCreateFault = new IOException("injected: the new segment's folder could not be synced");
            // holding the write lock queues the appends; the cleaner, on this thread, re-enters it and writes them
            AppendLedger.queueWhilePaused(log, () -> {
                ledger.append(producer, "queued1", 10);
                ledger.append(producer, "queued2", 10);
            }, () -> s.runCleanerOnce(System.currentTimeMillis()));
            assertThat(log.rollCreateFault).as("the retention roll used the injected fault").isNull();
            for (int i = 1; i < appends.size(); i++) {
                assertThat(appends.get(i).get(10, TimeUnit.SECONDS).offset())
                        .as("offset acknowledged to %s, written before the failed roll", keys.get(i)).isEqualTo(i);
            }
            CompletableFuture.runAsync(producer::flush).get(10, TimeUnit.SECONDS);
            assertThat(log.segments.keySet()).as("segment bases: the roll failed").containsExactly(0L);
            ledger.assertReadable(s, "after the failed retention roll");
        }
    }
}
