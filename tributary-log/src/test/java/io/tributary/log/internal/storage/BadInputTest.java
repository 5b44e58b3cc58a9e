package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.LogErrors;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input the storage side sees gets a clear error with a stable code, and stores nothing. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BadInputTest {

    @TempDir
    Path dir;

    private static void assertCode(ThrowingCallable call, Class<? extends TributaryException> type, ErrorCode code,
                                   String... messageParts) {
        assertThatThrownBy(call).isInstanceOfSatisfying(type, e -> assertThat(e.code()).isEqualTo(code))
                .hasMessageContainingAll(messageParts);
    }

    @Test
    void appendingToAnUnknownTopicSaysHowToCreateIt() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            EmbeddedProducer p = StorageFixture.producer(s);
            assertCode(() -> p.append("orders", record("k", "v", 1)), NotFoundException.class, LogErrors.TOPIC_NOT_FOUND,
                    "Topic 'orders' does not exist", "create it with 'tributary log create-topic orders --partitions N'");
            assertCode(() -> s.read(new TopicPartition("orders", 0), 0, 1, 1), NotFoundException.class,
                    LogErrors.TOPIC_NOT_FOUND, "tributary log create-topic orders");
        }
    }

    @Test
    void anUnknownTopicIsCreatedOnFirstAppendOnlyWhenAutoCreateIsOn() {
        try (EmbeddedStorage s = EmbeddedStorage.open(StorageFixture.config(dir).withAutoCreateTopics(true, 3))) {
            AppendResult r = StorageFixture.producer(s).append("auto", record("k", "v", 1)).join();
            assertThat(s.describeTopic("auto").partitionCount()).isEqualTo(3);
            assertThat(r.offset()).isZero();
        }
    }

    @Test
    void anIllegalTopicNameIsRejectedBeforeAnythingIsStored() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertCode(() -> StorageFixture.producer(s).append("bad name!", record("k", "v", 1)),
                    InvalidRequestException.class, LogErrors.INVALID_TOPIC_NAME, "'bad name!'");
            assertCode(() -> s.createTopic(NewTopic.of("a/b", 1)), InvalidRequestException.class,
                    LogErrors.INVALID_TOPIC_NAME, "a/b");
            assertThat(s.listTopics()).isEmpty();
        }
    }

    @Test
    void creatingATopicTwiceIsAConflict() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            s.createTopic(NewTopic.of("t", 2));
            assertCode(() -> s.createTopic(NewTopic.of("t", 4)), ConflictException.class,
                    LogErrors.TOPIC_ALREADY_EXISTS, "'t' already exists with 2 partitions");
        }
    }

    @Test
    void absurdTopicConfigValuesAreAllReportedAtOnce() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            assertCode(() -> s.alterTopicConfig("t", Map.of("retention.ms", "-5", "segment.bytes", "10", "fsync", "sometimes")),
                    InvalidRequestException.class, LogErrors.INVALID_TOPIC_CONFIG, "3 problems", "retention.ms",
                    "segment.bytes", "fsync");
            assertThat(s.describeTopic("t").config().overrides()).isEmpty();
        }
    }

    @Test
    void aPartitionOutsideTheTopicIsRejectedNamingTheValidRange() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 3, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            assertCode(() -> p.append("t", 3, record("k", "v", 1)), InvalidRequestException.class,
                    LogErrors.PARTITION_OUT_OF_RANGE, "Partition 3", "partitions 0 to 2");
            assertCode(() -> p.append("t", -1, record("k", "v", 1)), InvalidRequestException.class,
                    LogErrors.PARTITION_OUT_OF_RANGE, "Partition -1");
        }
    }

    @Test
    void aRecordOverMaxMessageBytesIsRejectedAndNothingIsStored() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "100"));
            EmbeddedProducer p = StorageFixture.producer(s);
            assertCode(() -> p.append("t", 0, record("k", "x".repeat(200), 1)), InvalidRequestException.class,
                    LogErrors.RECORD_TOO_LARGE, "201 bytes", "max.message.bytes=100", "'t'");
            assertCode(() -> p.appendAll("t", java.util.List.of(record("k", "ok", 1), record("k", "x".repeat(200), 1))),
                    InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE, "max.message.bytes=100");
            assertThat(s.endOffset(new TopicPartition("t", 0))).isZero();
        }
    }

    @Test
    void aFullProducerBufferBlocksForMaxBlockThenFailsRetriably() throws InterruptedException {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            EmbeddedProducer p = new EmbeddedProducer(s, ProducerConfig.defaults().withBufferMemoryBytes(2048)
                    .withMaxBlock(Duration.ofMillis(100)), () -> { });
            PartitionLog log = s.partitionLog(new TopicPartition("t", 0));
            java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> { // the writer is busy elsewhere: nothing gets acknowledged
                log.pauseWrites();
                paused.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                log.resumeWrites();
            });
            CompletableFuture<AppendResult> first;
            try {
                paused.await();
                first = p.append("t", 0, record("k", "x".repeat(1900), 1));
                long t0 = System.nanoTime();
                assertCode(() -> p.append("t", 0, record("k", "x".repeat(1900), 1)), RetriableException.class,
                        LogErrors.PRODUCER_BUFFER_FULL, "bufferMemoryBytes", "maxBlock=PT0.1S");
                assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(90));
                assertThat(first).isNotDone();
            } finally {
                release.countDown();
                holder.join();
            }
            assertThat(first.join().offset()).isZero();
            assertThat(p.append("t", 0, record("k", "x".repeat(1900), 1)).join().offset()).isEqualTo(1);
        }
    }

    @Test
    void aClosedProducerOrLogRefusesAppendsWithClosed() {
        EmbeddedStorage s = StorageFixture.open(dir);
        StorageFixture.topic(s, "t", 1, Map.of());
        EmbeddedProducer p = StorageFixture.producer(s);
        p.append("t", 0, record("k", "v", 1)).join();
        s.close();
        assertThatThrownBy(() -> p.append("t", 0, record("k", "v", 1)).join())
                .hasRootCauseInstanceOf(InvalidRequestException.class).rootCause().hasMessageContaining("closed");
        p.close();
        assertCode(() -> p.append("t", 0, record("k", "v", 1)), InvalidRequestException.class, ErrorCode.CLOSED, "closed");
    }

    @Test
    void aSecondOpenOfTheSameFolderIsRefusedWhileTheFirstIsOpen() {
        try (EmbeddedStorage first = StorageFixture.open(dir)) {
            assertCode(() -> StorageFixture.open(dir), ConflictException.class, LogErrors.DATA_DIR_LOCKED,
                    dir.toAbsolutePath().toString(), "in this JVM");
        }
        StorageFixture.open(dir).close(); // released on close
    }

    @Test
    void aDataFolderThatIsAFileOrUnderAFileIsRefusedNamingThePath() throws Exception {
        Path file = Files.writeString(dir.resolve("plain-file"), "not a folder");
        assertCode(() -> StorageFixture.open(file), InvalidRequestException.class, LogErrors.DATA_DIR_NOT_WRITABLE,
                file.toAbsolutePath().toString());
        Path under = file.resolve("data");
        assertCode(() -> StorageFixture.open(under), InvalidRequestException.class, LogErrors.DATA_DIR_NOT_WRITABLE,
                under.toAbsolutePath().toString());
    }

    @Test
    void aReadOnlyDataFolderIsRefusedNamingThePath() throws Exception {
        assumeThat(System.getProperty("user.name")).as("root ignores folder permissions").isNotEqualTo("root");
        Path ro = Files.createDirectory(dir.resolve("ro"));
        Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            assertCode(() -> StorageFixture.open(ro), InvalidRequestException.class, LogErrors.DATA_DIR_NOT_WRITABLE,
                    ro.toAbsolutePath().toString());
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }
}
