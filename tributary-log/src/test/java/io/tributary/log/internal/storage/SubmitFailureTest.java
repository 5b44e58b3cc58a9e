package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The producer's future forms when the log throws out of {@code submit} (here a write that stops after taking the
 * append off the queue, which the log also fails): each append is told once, its budget released once, and flush
 * waits for every append still in flight.
 */
// flush() waits uninterruptibly: a separate thread lets a flush that never returns fail the test
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SubmitFailureTest {

    @TempDir
    Path dir;

    private static void throwOnNextWrite(PartitionLog log) {
        log.afterTakingBatch = () -> {
            log.afterTakingBatch = null;
            throw new IllegalStateException("injected");
        };
    }

    @Test
    void aFutureAppendWhoseSubmitThrowsFailsItsFutureAndReleasesItsBudgetOnce() throws Exception {
        // It let the throw out of append(): the future stayed in flight for flush, and the budget was never released.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "never"));
            int budget = 1024;
            EmbeddedProducer p = new EmbeddedProducer(s, ProducerConfig.defaults().withBufferMemoryBytes(budget)
                    .withMaxBlock(Duration.ofMillis(100)), () -> { });
            throwOnNextWrite(s.partitionLog(new TopicPartition("t", 0)));
            CompletableFuture<AppendResult> f = p.append("t", 0, record(null, "v", 1));
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TributaryException.class).hasMessageContaining("injected");
            p.flush();
            // the log fails it too, on another thread: wait for both, then the budget must be whole, not doubled
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (p.budgetAvailable() < budget && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            Thread.sleep(100);
            assertThat(p.budgetAvailable()).isEqualTo(budget);
        }
    }

    @Test
    void appendAllWhoseSecondChunkThrowsOnSubmitCompletesOnlyOnceTheFirstChunkIsDone() throws Exception {
        // The chunk that threw was counted off by the call's catch and again by the log's failure of it, so the call
        // (and flush) completed while another partition's chunk was still unwritten.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 2, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            TopicPartition tp0 = new TopicPartition("t", 0);
            PartitionLog held = s.partitionLog(tp0);
            throwOnNextWrite(s.partitionLog(new TopicPartition("t", 1)));
            CountDownLatch paused = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> {
                held.pauseWrites();
                paused.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                held.resumeWrites();
            });
            CompletableFuture<Long> endWhenFlushed;
            try {
                paused.await();
                // keyless: round robin from partition 0, so the chunk for partition 0 is submitted first
                assertThatThrownBy(() -> p.appendAll("t", List.of(record(null, "a", 1), record(null, "b", 2),
                        record(null, "c", 3), record(null, "d", 4)))).hasMessageContaining("injected");
                endWhenFlushed = CompletableFuture.supplyAsync(() -> {
                    p.flush();
                    return s.endOffset(tp0);
                }, r -> Thread.ofPlatform().start(r));
                Thread.sleep(200); // a flush that does not wait for partition 0's chunk returns meanwhile
            } finally {
                release.countDown();
                holder.join();
            }
            assertThat(endWhenFlushed.get(10, TimeUnit.SECONDS)).as("partition 0's end when flush returned")
                    .isEqualTo(2);
        }
    }
}
