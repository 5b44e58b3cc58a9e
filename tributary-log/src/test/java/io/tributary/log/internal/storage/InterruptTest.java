package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.RetriableException;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * FileChannel closes itself when a thread using it is interrupted. An interrupted consumer or producer thread must
 * not break the partition for everyone else.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterruptTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path dir;

    @Test
    void anInterruptedReaderFailsItsOwnReadOnlyAndKeepsItsInterrupt() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            EmbeddedProducer p = StorageFixture.producer(s);
            p.append("t", 0, record("k", "v0", 1)).join();
            CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                Thread.currentThread().interrupt();
                try {
                    s.read(TP, 0, 10, Long.MAX_VALUE);
                    stillInterrupted.completeExceptionally(new AssertionError("the interrupted read succeeded"));
                } catch (RetriableException e) {
                    stillInterrupted.complete(Thread.currentThread().isInterrupted());
                }
            });
            reader.join();
            assertThat(stillInterrupted.get()).isTrue();
            p.append("t", 0, record("k", "v1", 2)).join();
            assertThat(s.read(TP, 0, 10, Long.MAX_VALUE)).hasSize(2);
        }
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            assertThat(s.recoveryEvents()).isEmpty();
            assertThat(s.read(TP, 0, 10, Long.MAX_VALUE)).hasSize(2);
        }
    }

    @Test
    void anInterruptedProducerThreadStillStoresItsRecordAndKeepsItsInterrupt() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            CompletableFuture<Boolean> stillInterrupted = new CompletableFuture<>();
            Thread writer = Thread.ofPlatform().start(() -> {
                Thread.currentThread().interrupt();
                p.append("t", 0, record("k", "v0", 1));
                stillInterrupted.complete(Thread.currentThread().isInterrupted());
            });
            writer.join();
            assertThat(stillInterrupted.get()).isTrue();
            p.append("t", 0, record("k", "v1", 2)).get(10, TimeUnit.SECONDS);
            assertThat(s.read(TP, 0, 10, Long.MAX_VALUE)).hasSize(2);
        }
    }

    @Test
    void aReadFromAnUnknownPartitionIsNotConfusedWithAnInterrupt() {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of());
            assertThatThrownBy(() -> s.read(new TopicPartition("t", 3), 0, 1, 1)).hasMessageContaining("Partition 3");
        }
    }
}
