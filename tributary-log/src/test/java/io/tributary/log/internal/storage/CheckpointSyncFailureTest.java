package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.log.AppendResult;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cleaner's periodic checkpoint syncs the active segment, then writes the recovery point. When that fsync failed,
 * the checkpoint threw and the cleaner logged it, but the partition went on: the page cache may have dropped the
 * written data, a later fsync that succeeds does not prove otherwise (Linux reports a failed write-back once), so the
 * next checkpoint wrote a recovery point claiming those bytes durable, and under fsync=always the sync thread's next
 * fsync succeeded and acknowledged batches the failed one may have dropped. The checkpoint's failed fsync now stops
 * the partition as the sync thread's does.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CheckpointSyncFailureTest {

    private static final TopicPartition TP = new TopicPartition("checkpointsync", 0);
    private static final IOException FAULT = new IOException("injected: the checkpoint's fsync failed");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "interval:60000", "always"})
    void refusesAppendsAndKeepsTheRecoveryPointWhenACheckpointCannotSync(String fsync) throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, fsync);
            PartitionLog log = s.partitionLog(TP);
            Optional<RecoveryCheckpoint> before = RecoveryCheckpoint.read(log.dir);
            log.checkpointSyncFault = FAULT;

            assertThatThrownBy(log::checkpoint).as("the checkpoint").isSameAs(FAULT);
            CompletableFuture<AppendResult> later = ledger.append(producer, "afterFailedCheckpoint", 10);
            producer.flush();
            assertThat(later).as("an append after the failed fsync").isCompletedExceptionally();
            assertThat(String.valueOf(later.handle((r, e) -> e).join())).as("the refusal names the failed sync")
                    .contains("Could not sync " + Segment.logFile(log.dir, 0)).contains(FAULT.getMessage());

            log.checkpoint(); // this fsync succeeds, but proves nothing about what the failed one may have dropped
            assertThat(RecoveryCheckpoint.read(log.dir)).as("the recovery point after a later checkpoint")
                    .isEqualTo(before);
            ledger.assertReadable(s, "after the failed checkpoint");
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            ledger.assertReadable(s, "after reopen");
            EmbeddedProducer producer = StorageFixture.producer(s);
            assertThat(ledger.append(producer, "afterReopen", 10).join().offset())
                    .as("a reopened partition appends again").isEqualTo(s.endOffset(TP) - 1);
        }
    }

    /** The sync thread's fsync, once the checkpoint's failed, succeeds; what it covered must still not be acked. */
    @Test
    void failsBatchesAwaitingSyncWhenACheckpointsSyncOfTheirSegmentFailed() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer producer = ledger.fillFirstSegment(s, "always");
            PartitionLog log = s.partitionLog(TP);
            CountDownLatch aboutToSync = new CountDownLatch(1);
            CountDownLatch checkpointFailed = new CountDownLatch(1);
            log.beforeSync = () -> {
                aboutToSync.countDown();
                try {
                    checkpointFailed.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            CompletableFuture<AppendResult> small = ledger.append(producer, "smallBeforeCheckpoint", 10);
            assertThat(aboutToSync.await(10, TimeUnit.SECONDS)).as("the sync thread is about to sync").isTrue();
            log.beforeSync = null;
            log.checkpointSyncFault = FAULT;
            assertThatThrownBy(log::checkpoint).as("the checkpoint").isSameAs(FAULT);
            checkpointFailed.countDown();

            Throwable smallError = small.handle((r, e) -> e).get(10, TimeUnit.SECONDS);
            assertThat(smallError).as("the batch written before the checkpoint's failed fsync is not acknowledged")
                    .isNotNull();
            assertThat(String.valueOf(smallError)).contains("Could not sync " + Segment.logFile(log.dir, 0));
            assertThat(s.endOffset(TP)).as("end offset: only what was synced before").isEqualTo(AppendLedger.FILLED);
        }
    }
    /**
     * After the cleaner's checkpoint could not sync, it logged "its data is intact and the cleaner retries on its next
     * pass", a warning, though the partition had stopped and only reopening the log brings it back.
     */
    @Test
    void logsAnErrorSayingThePartitionStoppedWhenTheCleanersCheckpointCannotSync() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<java.util.logging.LogRecord> logged = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger(EmbeddedStorage.class.getName());
        Handler handler = recordingMessagesAbout(TP.toString(), logged);
        jul.addHandler(handler);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir)
                .withCheckpointInterval(Duration.ofMillis(1)))) {
            // the records' timestamps are from 1970: retention would roll the segment (writing a recovery point)
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.FSYNC, "never", TopicConfig.RETENTION_MS, "-1"));
            ledger.append(StorageFixture.producer(s), "beforeCheckpoint", 10).join();
            s.partitionLog(TP).checkpointSyncFault = FAULT;
            Thread.sleep(2); // past the checkpoint interval
            s.runCleanerOnce(System.currentTimeMillis());
        } finally {
            jul.removeHandler(handler);
        }
        assertThat(logged).as("what the cleaner logged about " + TP).singleElement().satisfies(r -> {
            assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
            assertThat(r.getMessage()).contains("stopped").contains("reopened").contains(FAULT.getMessage())
                    .doesNotContain("retries on its next pass").doesNotContain("data is intact");
        });
    }

    /**
     * The ERROR saying the partition stopped was logged whenever a cleaner step failed on a stopped partition, also on
     * every later pass, long after the step that stopped it: each read as a new failure. Only the step that stopped
     * the partition says so now; a later one logs a warning that it had stopped before.
     */
    @Test
    void logsTheStoppedErrorOnlyForTheStepThatStoppedThePartition() throws Exception {
        AppendLedger ledger = new AppendLedger(TP);
        List<java.util.logging.LogRecord> logged = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger(EmbeddedStorage.class.getName());
        Handler handler = recordingMessagesAbout(TP.toString(), logged);
        jul.addHandler(handler);
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir)
                .withCheckpointInterval(Duration.ofMillis(1)))) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.FSYNC, "never", TopicConfig.RETENTION_MS, "-1"));
            ledger.append(StorageFixture.producer(s), "beforeCheckpoint", 10).join();
            PartitionLog log = s.partitionLog(TP);
            log.checkpointSyncFault = FAULT;
            Thread.sleep(2); // past the checkpoint interval
            s.runCleanerOnce(System.currentTimeMillis()); // this pass's checkpoint stops the partition
            log.checkpointSyncFault = new IOException("injected: a later checkpoint's fsync failed");
            Thread.sleep(2);
            s.runCleanerOnce(System.currentTimeMillis()); // the partition had stopped before this pass
        } finally {
            jul.removeHandler(handler);
        }
        assertThat(logged).as("what the cleaner logged about " + TP).hasSize(2);
        assertThat(logged.get(0).getLevel()).as("the pass that stopped the partition").isEqualTo(Level.SEVERE);
        assertThat(logged.get(1).getLevel()).as("the later pass").isEqualTo(Level.WARNING);
        assertThat(logged.get(1).getMessage()).contains("a later checkpoint's fsync failed")
                .contains("stopped before this step").doesNotContain("has stopped").doesNotContain("data is intact");
    }

    /** A log handler that adds to {@code into} every record whose message mentions {@code subject}. */
    private static Handler recordingMessagesAbout(String subject, List<java.util.logging.LogRecord> into) {
        return new Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains(subject)) {
                    into.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
    }
}
