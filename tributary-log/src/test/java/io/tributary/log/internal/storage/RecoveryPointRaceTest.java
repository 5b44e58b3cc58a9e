package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.log.AppendResult;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment roll (on the writing thread) and the cleaner's periodic checkpoint both write the partition's
 * {@code recovery-point.checkpoint} through the same temp file. Run at once, one renamed the other's temp file away:
 * the cleaner then logged a failed pass, and a roll failed the append that needed it with {@code STORAGE_FAILURE}
 * ("Could not roll a new segment ... NoSuchFileException ... recovery-point.checkpoint.tmp"), though nothing was
 * wrong with the disk. Found by {@link CrashTest}'s callback mode (a FAIL in round 14 of one run).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecoveryPointRaceTest {

    @TempDir
    Path dir;

    @Test
    void rejectsNoAppendWhenSegmentRollsRaceTheCleanersCheckpoints() throws Exception {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withCheckpointInterval(Duration.ofMillis(1)))) {
            StorageFixture.topic(s, "race", 1, Map.of(TopicConfig.SEGMENT_BYTES, String.valueOf(TopicConfig.MIN_SEGMENT_BYTES),
                    TopicConfig.FSYNC, "never"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            AtomicBoolean stop = new AtomicBoolean();
            Thread cleaner = Thread.ofPlatform().start(() -> {
                while (!stop.get()) {
                    s.runCleanerOnce(System.currentTimeMillis());
                }
            });
            byte[] value = new byte[64 * 1024]; // 15 fit a 1 MiB segment (64 KiB + header each): a roll every 15 appends
            List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
            try {
                for (int i = 0; i < 15 * 300; i++) {
                    CompletableFuture<AppendResult> f = producer.append("race", 0,
                            new Record(StorageFixture.bytes("k" + i), value, Headers.empty(), i));
                    appends.add(f);
                    if (i % 15 == 14) {
                        f.join(); // one roll at a time, each against a running cleaner
                    }
                }
                producer.flush();
            } finally {
                stop.set(true);
                cleaner.join();
            }
            List<String> failed = new ArrayList<>();
            for (CompletableFuture<AppendResult> f : appends) {
                assertThat(f).as("append told by the time flush returned").isDone();
                if (f.isCompletedExceptionally()) {
                    f.exceptionally(e -> {
                        failed.add(e.toString());
                        return null;
                    });
                }
            }
            assertThat(failed).as("appends failed while rolls raced checkpoints").isEmpty();
            assertThat(s.endOffset(new TopicPartition("race", 0))).isEqualTo(appends.size());
        }
    }

    @Test
    void writesNoRecoveryPointOnceTheTopicIsMarkedDeletedDuringACheckpoint() throws Exception {
        // A cleaner checkpoint that had read the partition's end before the topic was deleted went on to write
        // recovery-point.checkpoint(.tmp) while deleteTopic removed the folder, which could leave a stray folder.
        TopicPartition tp = new TopicPartition("gone", 0);
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, tp.topic(), 1, Map.of(TopicConfig.FSYNC, "never"));
            EmbeddedProducer producer = StorageFixture.producer(s);
            for (int i = 0; i < 3; i++) {
                producer.append(tp.topic(), 0, StorageFixture.record("k" + i, "v", i));
            }
            producer.flush();
            PartitionLog log = s.partitionLog(tp);
            Path point = log.dir.resolve(RecoveryCheckpoint.FILE_NAME);
            byte[] before = Files.readAllBytes(point);
            log.beforeCheckpointWrite = () -> {
                log.beforeCheckpointWrite = null;
                log.markDeleted(); // what deleteTopic does first, between the checkpoint's look and its write
            };
            log.checkpoint();
            assertThat(log.beforeCheckpointWrite).as("the checkpoint reached its write").isNull();
            assertThat(Files.readAllBytes(point)).as("recovery point after the topic was marked deleted")
                    .isEqualTo(before);
            try (var files = Files.list(log.dir)) {
                assertThat(files.map(f -> f.getFileName().toString()))
                        .noneMatch(n -> n.endsWith(AtomicFiles.TEMP_SUFFIX));
            }
            s.deleteTopic(tp.topic());
            assertThat(log.dir).doesNotExist();
        }
    }
}
