package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.TributaryException;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * After a failed fsync of a partition's data (the checkpoint's, the sync thread's) the partition's error said
 * "acknowledged records are intact". Under fsync=never and fsync=interval a record is acknowledged once written,
 * before any fsync, and the failed fsync may have dropped it from the page cache: those records may be lost, and the
 * error must say so. Under fsync=always only synced records were acknowledged, so they are intact.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SyncFailureWordingTest {

    private static final TopicPartition TP = new TopicPartition("syncwording", 0);
    private static final String MAY_BE_LOST = "records acknowledged since the partition's last successful sync may "
            + "be lost";
    private static final String INTACT = "acknowledged records are intact";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"never", "interval:60000", "always"})
    void saysWhetherAcknowledgedRecordsMayBeLostWhenACheckpointCannotSync(String fsync) throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            PartitionLog log = appendOne(s, fsync);
            log.checkpointSyncFault = new IOException("injected: the checkpoint's fsync failed");
            assertThatThrownBy(log::checkpoint).as("the checkpoint").isInstanceOf(IOException.class);
            assertWording(log.failure(), fsync);
        }
    }

    @ParameterizedTest(name = "fsync={0}")
    @ValueSource(strings = {"interval:10", "always"})
    void saysWhetherAcknowledgedRecordsMayBeLostWhenTheSyncThreadsFsyncFails(String fsync) throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            PartitionLog log = appendOne(s, fsync);
            log.syncFault = new IOException("injected: the sync thread's fsync failed");
            StorageFixture.producer(s).append(TP.topic(), TP.partition(),
                    StorageFixture.record("k", "second", System.currentTimeMillis()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (log.failure() == null && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertWording(log.failure(), fsync);
        }
    }

    /**
     * The last (STORAGE_FAILURE) branch described the wrapper of a failed tail-cut step, not its cause: the message
     * read "Could not ...: io.tributary...Segment$TailCutFailure: failed to ...", unlike the other branches.
     */
    @org.junit.jupiter.api.Test
    void describesTheUnderlyingErrorNotTheTailCutWrapperOfAStorageFailure() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            PartitionLog log = appendOne(s, "always");
            IOException ioError = new IOException("injected: I/O error");
            TributaryException error = log.storageError("read the length of x.log",
                    new Segment.TailCutFailure("read the length of x.log", false, ioError), false);
            assertThat(error.code()).isEqualTo(io.tributary.core.ErrorCode.STORAGE_FAILURE);
            assertThat(error.getMessage()).contains("Could not read the length of x.log: " + ioError)
                    .doesNotContain("TailCutFailure").doesNotContain("failed to");
        }
    }

    private static PartitionLog appendOne(EmbeddedStorage s, String fsync) {
        StorageFixture.topic(s, TP.topic(), 1, Map.of(TopicConfig.FSYNC, fsync));
        StorageFixture.producer(s).append(TP.topic(), TP.partition(),
                StorageFixture.record("k", "first", System.currentTimeMillis())).join();
        return s.partitionLog(TP);
    }

    private static void assertWording(TributaryException failure, String fsync) {
        assertThat(failure).as("the partition's error").isNotNull();
        if (fsync.equals("always")) {
            assertThat(failure.getMessage()).contains(INTACT).doesNotContain(MAY_BE_LOST);
        } else {
            assertThat(failure.getMessage()).contains(MAY_BE_LOST).doesNotContain(INTACT);
        }
    }
}
