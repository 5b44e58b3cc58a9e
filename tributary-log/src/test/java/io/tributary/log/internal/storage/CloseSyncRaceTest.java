package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.AppendResult;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean close checked that the partition had not failed, then cut and synced the active segment's tail and wrote a
 * clean recovery point. A sync thread that outlived the close's wait for it could fail its fsync in between: the
 * close's own fsync then succeeded (Linux reports a failed write-back once) and its recovery point told the next open
 * to trust bytes the failed fsync may have dropped. The close now reads the failure again under the sync lock after
 * its fsync, as a roll does, and writes no recovery point when another fsync failed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CloseSyncRaceTest {

    private static final TopicPartition TP = new TopicPartition("closesync", 0);

    @TempDir
    Path dir;

    @Test
    void writesNoCleanRecoveryPointWhenTheSyncThreadsFsyncFailsWhileTheLogCloses() throws Exception {
        Optional<RecoveryCheckpoint> before;
        Path partitionDir;
        CompletableFuture<AppendResult> second;
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.FSYNC, "always"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            producer.append(TP.topic(), TP.partition(), StorageFixture.record("k", "first", 1)).join();
            PartitionLog log = s.partitionLog(TP);
            partitionDir = log.dir;
            CountDownLatch aboutToSync = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            log.beforeSync = () -> {
                aboutToSync.countDown();
                await(release);
            };
            // written by this thread (the sync thread is idle), then the sync thread wakes to sync it and is held
            second = producer.append(TP.topic(), TP.partition(), StorageFixture.record("k", "second", 2));
            assertThat(aboutToSync.await(10, TimeUnit.SECONDS)).as("the sync thread is about to sync").isTrue();
            log.beforeSync = null;
            log.syncFault = new IOException("injected: the sync thread's fsync failed");
            log.stopWaitMillis = 50; // the close stops waiting for the held sync thread
            log.beforeCloseTailCut = () -> {
                // the close has checked for a failure; now the sync thread's fsync fails
                release.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (log.failure() == null && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
            };
            before = RecoveryCheckpoint.read(partitionDir);
        }
        assertThat(second.handle((r, e) -> e).get(10, TimeUnit.SECONDS)).as("the append the failed fsync covered")
                .isNotNull();
        assertThat(RecoveryCheckpoint.read(partitionDir)).as("the recovery point after the close").isEqualTo(before);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
