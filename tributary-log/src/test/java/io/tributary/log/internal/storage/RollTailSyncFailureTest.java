package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.AppendLedger.BIG;
import static io.tributary.log.internal.storage.AppendLedger.FILLED;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.ErrorCode;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.LogErrors;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A roll syncs the old segment (cutting its zero tail) before it starts the next one. When that fsync failed, the
 * append that rolled failed but the partition went on accepting appends, although the sync thread treats the same
 * failed fsync as fatal (the page cache may have dropped the written data, and a later sync that succeeds does not
 * prove otherwise). The roll now stops the partition as the sync thread does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class RollTailSyncFailureTest {

    private static final TopicPartition TP = new TopicPartition("rolltailsync", 0);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void refusesAppendsWithTheSyncErrorWhenARollCannotSyncTheOldSegment(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            Path oldFile = Segment.logFile(log.dir, 0);
            log.rollTailSyncFault = new IOException("injected: fsync of the old segment failed");

            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollFails", BIG);
            producer.flush();
            assertThat(log.rollTailSyncFault).as("the injected fault was used").isNull();
            assertThat(rolls).as("the append whose roll could not sync the old segment").isCompletedExceptionally();

            CompletableFuture<AppendResult> small = ledger.append(producer, "small", 10);
            producer.flush();
            assertThat(small).as("a later append that would fit the old segment").isCompletedExceptionally();
            assertThat(String.valueOf(small.handle((r, e) -> e).join()))
                    .as("the refusal is the failed sync, naming the file")
                    .contains("Could not sync " + oldFile).contains("injected: fsync of the old segment failed");
            assertThat(log.segments.keySet()).as("segment bases: the roll stopped before the next one")
                    .containsExactly(0L);
            assertThat(s.endOffset(TP)).as("end offset: nothing written after the failed sync").isEqualTo(FILLED);
            ledger.assertReadable(s, "after the refusal");
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.endOffset(TP)).as("end offset after reopen").isEqualTo(FILLED);
            ledger.assertReadable(s, "after reopen");
            EmbeddedProducer producer = StorageFixture.producer(s);
            assertThat(ledger.append(producer, "afterReopen", BIG).join().offset())
                    .as("a reopened partition appends (and rolls) again").isEqualTo(FILLED);
        }
    }

    /**
     * The refusal after a roll could not cut and sync the old segment's tail always said "Could not sync", whichever
     * step failed. Here the length of the file cannot be read (it was deleted under the open channel).
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void namesTheStepThatFailedWhenARollCannotCutTheOldSegmentsTail(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            Path oldFile = Segment.logFile(log.dir, 0);
            java.nio.file.Files.delete(oldFile);

            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollFails", BIG);
            producer.flush();
            assertThat(String.valueOf(rolls.handle((r, e) -> e).join())).as("the rolling append's error")
                    .contains("Could not read the length of " + oldFile).doesNotContain("Could not sync");
            CompletableFuture<AppendResult> small = ledger.append(producer, "small", 10);
            producer.flush();
            assertThat(String.valueOf(small.handle((r, e) -> e).join())).as("the refusal names the failed step")
                    .contains("Could not read the length of " + oldFile).doesNotContain("Could not sync");
        }
    }

    /**
     * The rolling append's own error was classified by the wrapper of the failed tail-cut step, which hid an
     * AccessDeniedException: that append got STORAGE_FAILURE while the refusals after it got DATA_DIR_NOT_WRITABLE.
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void givesTheRollingAppendAndLaterAppendsTheSameCodeWhenTheOldSegmentsSyncIsDenied(String fsync)
            throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            log.segments.get(0L).tailSyncFault = new AccessDeniedException(Segment.logFile(log.dir, 0).toString());

            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollDenied", BIG);
            producer.flush();
            CompletableFuture<AppendResult> later = ledger.append(producer, "afterDenied", 10);
            producer.flush();
            assertThat(codeOf(rolls)).as("the rolling append's code").isEqualTo(LogErrors.DATA_DIR_NOT_WRITABLE);
            assertThat(codeOf(later)).as("a later append's code").isEqualTo(LogErrors.DATA_DIR_NOT_WRITABLE);
        }
    }

    private static ErrorCode codeOf(CompletableFuture<AppendResult> append) {
        Throwable e = append.handle((r, t) -> t).join();
        while (e instanceof java.util.concurrent.CompletionException && e.getCause() != null) {
            e = e.getCause();
        }
        assertThat(e).as("the append's error").isInstanceOf(TributaryException.class);
        return ((TributaryException) e).code();
    }

    /**
     * A failed partition that is then closed refused appends with CLOSED, hiding the storage error that stopped it
     * (closing was checked before the failure).
     */
    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "always"})
    void refusesWithTheFailureNotClosedWhenAFailedPartitionIsClosed(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            log.rollTailSyncFault = new IOException("injected: fsync of the old segment failed");
            ledger.append(producer, "rollFails", BIG);
            producer.flush();
            assertThat(log.rollTailSyncFault).as("the injected fault was used").isNull();

            log.close();
            CompletableFuture<AppendResult> late = ledger.append(producer, "afterClose", 10);
            assertThat(late).as("an append to the closed, failed partition").isCompletedExceptionally();
            assertThat(String.valueOf(late.handle((r, e) -> e).join())).as("the refusal")
                    .contains("Could not sync " + Segment.logFile(log.dir, 0)).doesNotContain("is closed");
        }
    }

    /**
     * Under fsync=always, batches written to the old segment just before its roll wait for the sync thread. When the
     * roll's fsync of that segment failed, the sync thread's later fsync succeeded and acknowledged them as durable,
     * although the failed fsync may have dropped them from the page cache.
     */
    @Test
    void failsBatchesAwaitingSyncWhenTheRollsSyncOfTheirSegmentFailed() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "always");
            PartitionLog log = s.partitionLog(TP);
            CountDownLatch rollFailed = new CountDownLatch(1);
            // the sync thread's next fsync waits until the roll has failed, so it cannot cover the small batch first
            log.beforeSync = () -> {
                try {
                    rollFailed.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            log.rollTailSyncFault = new IOException("injected: fsync of the old segment failed");
            CompletableFuture<AppendResult> small;
            CompletableFuture<AppendResult> rolls;
            // one write takes the small batch (written to the old segment) and then the one that rolls (and fails)
            log.pauseWrites();
            try {
                small = ledger.append(producer, "smallBeforeRoll", 10);
                rolls = ledger.append(producer, "rollFails", BIG);
            } finally {
                log.resumeWrites();
            }
            assertThat(rolls.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the roll's append fails").isNotNull();
            assertThat(log.rollTailSyncFault).as("the injected fault was used").isNull();
            rollFailed.countDown();
            Throwable smallError = small.handle((r, e) -> e).get(10, TimeUnit.SECONDS);
            assertThat(smallError).as("the batch written before the failed fsync is not acknowledged").isNotNull();
            assertThat(String.valueOf(smallError)).contains("Could not sync " + Segment.logFile(log.dir, 0));
            log.beforeSync = null;
            assertThat(s.endOffset(TP)).as("end offset: only what was synced before").isEqualTo(FILLED);
            ledger.assertReadable(s, "after the failed roll");
        }
    }

    /**
     * The sync thread's fsync and a roll's fsync of the same segment used to run at once. Linux reports a failed
     * write-back once per open file, to whichever fsync checks first: the roll's could fail for pages the sync
     * thread's covered while the sync thread's returned success, and the sync thread read the roll's failure flag
     * before the roll set it, so it acknowledged batches that the failed fsync may have dropped from the page cache.
     * The roll here holds its (failing) fsync open until the sync thread has either acknowledged the small batch
     * (the defect) or waits for the roll's fsync to end (fsyncs of a partition now take turns).
     */
    @Test
    void failsBatchesAwaitingSyncWhenARollsFailedSyncOverlapsTheSyncThreads() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "always");
            PartitionLog log = s.partitionLog(TP);
            CountDownLatch aboutToSync = new CountDownLatch(1);
            CountDownLatch rollSyncing = new CountDownLatch(1);
            log.beforeSync = () -> {
                aboutToSync.countDown();
                await(rollSyncing);
            };
            // written by this thread (the sync thread is idle), then the sync thread wakes to sync it and waits
            CompletableFuture<AppendResult> small = ledger.append(producer, "smallBeforeRoll", 10);
            assertThat(aboutToSync.await(10, TimeUnit.SECONDS)).as("the sync thread is about to sync").isTrue();
            log.beforeSync = null;
            // only queued: the sync thread is busy
            CompletableFuture<AppendResult> rolls = ledger.append(producer, "rollFails", BIG);
            log.duringRollTailSync = () -> {
                rollSyncing.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (!small.isDone() && !log.syncThreadWaitsForSyncLock() && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            };
            log.rollTailSyncFault = new IOException("injected: fsync of the old segment failed");
            log.pauseWrites();
            log.resumeWrites(); // this thread writes what is queued: the big batch rolls, its fsync fails
            assertThat(rolls.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the roll's append fails").isNotNull();
            assertThat(log.rollTailSyncFault).as("the injected fault was used").isNull();
            Throwable smallError = small.handle((r, e) -> e).get(10, TimeUnit.SECONDS);
            assertThat(smallError).as("the batch whose segment's fsync failed during the sync thread's is not "
                    + "acknowledged").isNotNull();
            assertThat(String.valueOf(smallError)).contains("Could not sync " + Segment.logFile(log.dir, 0));
            assertThat(s.endOffset(TP)).as("end offset: only what was synced before").isEqualTo(FILLED);
            ledger.assertReadable(s, "after the failed roll");
        }
    }

    /**
     * A roll that began before the sync thread's fsync failed (the write checked for a failure, then the sync failed)
     * went on: its own fsync of the old segment succeeded (Linux had reported the failed write-back to the sync
     * thread), so it started the next segment and wrote a recovery point saying the old one was durable, and a later
     * open trusted it.
     */
    @Test
    void refusesToRollWhenTheSyncThreadsFsyncFailedAfterTheWriteBegan() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "always");
            PartitionLog log = s.partitionLog(TP);
            java.util.Optional<RecoveryCheckpoint> pointBefore = RecoveryCheckpoint.read(log.dir);
            CompletableFuture<AppendResult> small = holdTheSyncThreadThenFailItsFsync(ledger, producer, log,
                    new IOException("injected: the sync thread's fsync failed"));
            CompletableFuture<AppendResult> rolls = rollAfterTheSyncThreadsFsyncFailed(ledger, producer, log);
            assertThat(rolls.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the rolling append fails").isNotNull();
            assertThat(small.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the batch the failed fsync covered")
                    .isNotNull();
            assertThat(log.segments.keySet()).as("segment bases: no roll after the failed fsync").containsExactly(0L);
            assertThat(RecoveryCheckpoint.read(log.dir)).as("the recovery point").isEqualTo(pointBefore);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.endOffset(TP)).as("end offset after reopen").isGreaterThanOrEqualTo(FILLED);
            ledger.assertReadable(s, "after reopen");
        }
    }

    /**
     * A roll that found another fsync's failure threw a bare IOException naming it, and the rolling append's error was
     * classified by that wrapper's message: a denied fsync gave the rolling append STORAGE_FAILURE while every
     * refusal after it said DATA_DIR_NOT_WRITABLE. Both now carry the failure that stopped the partition.
     */
    @Test
    void givesTheRollingAppendTheFailureItFoundWhenAnotherFsyncWasDeniedAfterTheWriteBegan() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "always");
            PartitionLog log = s.partitionLog(TP);
            CompletableFuture<AppendResult> small = holdTheSyncThreadThenFailItsFsync(ledger, producer, log,
                    new AccessDeniedException(Segment.logFile(log.dir, 0).toString()));
            CompletableFuture<AppendResult> rolls = rollAfterTheSyncThreadsFsyncFailed(ledger, producer, log);
            assertThat(small.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the batch the denied fsync covered")
                    .isNotNull();
            CompletableFuture<AppendResult> later = ledger.append(producer, "afterDenied", 10);
            producer.flush();
            assertThat(codeOf(rolls)).as("the rolling append's code").isEqualTo(LogErrors.DATA_DIR_NOT_WRITABLE);
            assertThat(codeOf(later)).as("a later append's code").isEqualTo(LogErrors.DATA_DIR_NOT_WRITABLE);
            assertThat(log.segments.keySet()).as("segment bases: no roll after the failed fsync").containsExactly(0L);
        }
    }

    /** Released by {@link #rollAfterTheSyncThreadsFsyncFailed} once a roll has begun. */
    private final CountDownLatch rolling = new CountDownLatch(1);

    /**
     * Appends a small batch and holds the sync thread just before its fsync of it (until a roll begins), with
     * {@code fault} set to fail that fsync. Returns the small batch's append.
     */
    private CompletableFuture<AppendResult> holdTheSyncThreadThenFailItsFsync(AppendLedger ledger,
            EmbeddedProducer producer, PartitionLog log, IOException fault) throws Exception {
        CountDownLatch aboutToSync = new CountDownLatch(1);
        log.beforeSync = () -> {
            aboutToSync.countDown();
            await(rolling);
        };
        CompletableFuture<AppendResult> small = ledger.append(producer, "smallBeforeRoll", 10);
        assertThat(aboutToSync.await(10, TimeUnit.SECONDS)).as("the sync thread is about to sync").isTrue();
        log.beforeSync = null;
        log.syncFault = fault;
        return small;
    }

    /**
     * Queues a batch that rolls the segment (only queued: the sync thread is held) and writes it on this thread; the
     * roll, once begun, releases the sync thread and waits until its failed fsync stopped the partition, so the roll
     * runs after the sync thread's fsync failed although the write began before. Returns the rolling append.
     */
    private CompletableFuture<AppendResult> rollAfterTheSyncThreadsFsyncFailed(AppendLedger ledger,
            EmbeddedProducer producer, PartitionLog log) {
        log.beforeRoll = () -> {
            log.beforeRoll = null;
            rolling.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (log.failure() == null && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
        };
        CompletableFuture<AppendResult> rolls = ledger.append(producer, "rolls", BIG);
        log.pauseWrites();
        log.resumeWrites(); // this thread writes the queued batch: it rolls after the sync thread's fsync failed
        return rolls;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
