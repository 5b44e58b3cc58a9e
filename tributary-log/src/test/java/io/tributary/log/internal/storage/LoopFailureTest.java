package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.TributaryException;
import io.tributary.log.AppendResult;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition whose sync or writer thread, or a write, stops on an error the storage cannot handle (out of memory,
 * say): every append is told, later ones are refused naming the partition and the fix, and flush and close return.
 */
// flush() and close() wait uninterruptibly: a separate thread lets one that never returns fail the test
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class LoopFailureTest {

    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path dir;

    @Test
    void anAppendWrittenWhileTheSyncThreadDiesIsFailedInsteadOfWaitingForADeadThread() throws Exception {
        // The appending thread read no refusal, then the sync thread died and its handler failed what was awaiting
        // a sync (nothing yet); the append then handed its batch to the dead thread: never synced nor failed.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            p.append("t", 0, record(null, "first", 1)).get(10, TimeUnit.SECONDS);
            Thread syncer = log.syncThread();
            assertThat(syncer).isNotNull();
            awaitState(syncer, Thread.State.TIMED_WAITING); // idle: it wakes only for the injected fault
            log.afterTakingBatch = () -> {
                log.afterTakingBatch = null;
                log.injectLoopFault(new Error("injected"));
                // until the sync thread has died, or waits in its handler for the write lock this thread holds
                awaitState(syncer, Thread.State.WAITING);
            };
            CompletableFuture<AppendResult> raced = p.append("t", 0, record(null, "raced", 2));
            assertDiedNamingTheFix(raced, "The sync thread of partition t-0");
            assertDiedNamingTheFix(p.append("t", 0, record(null, "later", 3)), "The sync thread of partition t-0");
            p.flush();
        }
    }

    @Test
    void aWriterThreadThatDiesFailsWhatIsQueuedAndRefusesLaterAppendsInsteadOfQueueingThemForever() throws Exception {
        // It ended marked busy: later appends only queued for it, never written, and flush() and close() hung.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            log.injectLoopFault(new Error("injected")); // the writer throws it once it has batches to write
            CountDownLatch paused = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> {
                log.pauseWrites(); // appends queue up close together: the appending thread hands them to the writer
                paused.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                log.resumeWrites();
            });
            List<CompletableFuture<AppendResult>> queued = new ArrayList<>();
            CompletableFuture<AppendResult> refused = null;
            try {
                paused.await();
                for (int i = 0; i < 100_000 && refused == null; i++) {
                    CompletableFuture<AppendResult> f = p.append("t", 0, record(null, "v" + i, i));
                    if (f.isCompletedExceptionally()) {
                        refused = f;
                    } else {
                        queued.add(f);
                    }
                }
            } finally {
                release.countDown();
                holder.join();
            }
            assertThat(refused).as("an append refused once the writer thread died").isNotNull();
            assertDiedNamingTheFix(refused, "The writer thread of partition t-0");
            for (CompletableFuture<AppendResult> f : queued) {
                f.handle((r, e) -> r).get(10, TimeUnit.SECONDS); // told, one way or the other
            }
            assertDiedNamingTheFix(p.append("t", 0, record(null, "later", 1)), "The writer thread of partition t-0");
            p.flush();
        }
    }

    @Test
    void aWriteThatStopsAfterTakingBatchesOffTheQueueFailsThemInsteadOfLosingThem() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            log.afterTakingBatch = () -> {
                log.afterTakingBatch = null;
                throw new Error("injected");
            };
            CompletableFuture<@Nullable TributaryException> told = new CompletableFuture<>();
            assertThatThrownBy(() -> p.append("t", 0, record(null, "lost", 1), (r, e) -> told.complete(e)))
                    .hasMessage("injected");
            assertThat(told.get(10, TimeUnit.SECONDS)).as("the append taken off the queue is told").isNotNull()
                    .hasMessageContaining("to partition t-0 stopped on java.lang.Error: injected")
                    .hasMessageContaining("Close and reopen the log");
            p.flush();
            assertDiedNamingTheFix(p.append("t", 0, record(null, "later", 2)), "to partition t-0");
        }
    }

    @Test
    void aSyncThreadThatOutlivesTheStopFailsTheAppendsItsPartitionNeverSyncedInsteadOfAcknowledgingThem()
            throws Exception {
        // Its sync found the segment closed and took that as "close() synced it": true only when close cut the tail,
        // not when the partition had failed, the cut threw, or (here) the log was abandoned as in a crash.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<AppendResult> unsynced = writtenBehindAHeldSyncThread(p, log, release);
            log.abandon();
            release.countDown();
            assertThatThrownBy(() -> unsynced.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TributaryException.class)
                    .hasMessageContaining("Partition t-0 was closed before its appends up to offset 2 were synced");
        }
    }

    @Test
    void aSyncThreadThatOutlivesATopicsDeletionFailsWhatItsSyncCoveredAsTopicNotFound() throws Exception {
        // markDeleted gave up waiting for the sync thread and closed the files: its sync then found them closed and
        // acknowledged what could never be durable.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            CountDownLatch release = new CountDownLatch(1);
            CompletableFuture<AppendResult> unsynced = writtenBehindAHeldSyncThread(p, log, release);
            s.deleteTopic("t");
            release.countDown();
            assertThatThrownBy(() -> unsynced.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(TributaryException.class)
                    .satisfies(e -> assertThat(((TributaryException) e).code().name()).isEqualTo("TOPIC_NOT_FOUND"))
                    .hasMessageContaining("Topic 't' was deleted");
        }
    }

    @Test
    void anAcknowledgementThatThrowsLeavesTheSyncThreadRunningAndTheRestOfItsBatchTold() throws Exception {
        // The guard around each acknowledgement (foreign code: a future's dependants, a callback): one that threw
        // used to end the sync thread with the rest of its sync's batch untold.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog log = s.partitionLog(TP);
            p.append("t", 0, record(null, "first", 1)).get(10, TimeUnit.SECONDS); // the sync thread is running
            CompletableFuture<Long> after = new CompletableFuture<>();
            byte[] batch = BatchFormat.encodeOne(record(null, "v", 1), null);
            CountDownLatch paused = new CountDownLatch(1);
            CountDownLatch submitted = new CountDownLatch(1);
            Thread holder = Thread.ofPlatform().start(() -> {
                log.pauseWrites(); // both queue, then one write and one sync take them together
                paused.countDown();
                try {
                    submitted.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                log.resumeWrites();
            });
            paused.await();
            log.submit(new PendingAppend(batch.clone(), 1, 1) {
                @Override
                void acknowledge() {
                    throw new StackOverflowError("a future stage's own stack overflow");
                }

                @Override
                void fail(TributaryException error) {
                }
            });
            log.submit(new PendingAppend(batch.clone(), 1, 1) {
                @Override
                void acknowledge() {
                    after.complete(baseOffset);
                }

                @Override
                void fail(TributaryException error) {
                    after.completeExceptionally(error);
                }
            });
            submitted.countDown();
            holder.join();
            assertThat(after.get(10, TimeUnit.SECONDS)).as("the next append of the batch is acknowledged").isEqualTo(2);
            assertThat(p.append("t", 0, record(null, "last", 1)).get(10, TimeUnit.SECONDS).offset()).isEqualTo(3);
        }
    }

    private static void assertDiedNamingTheFix(CompletableFuture<AppendResult> f, String who) {
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(TributaryException.class)
                .hasMessageContaining(who).hasMessageContaining("stopped on java.lang.Error: injected")
                .hasMessageContaining("Close and reopen the log to append again");
    }

    /** Waits (at most 10 s) until {@code t} is in {@code state} or has ended. */
    private static void awaitState(Thread t, Thread.State state) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (t.isAlive() && t.getState() != state && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
    }

    /**
     * Holds the partition's sync thread in a callback (until {@code release}) and writes a second append behind it on
     * this thread, so only the held sync thread would sync it; the stop's and the deletion's wait for it are cut to
     * 50 ms. Returns the second append.
     */
    private static CompletableFuture<AppendResult> writtenBehindAHeldSyncThread(EmbeddedProducer p, PartitionLog log,
                                                                                CountDownLatch release)
            throws InterruptedException {
        CountDownLatch inCallback = new CountDownLatch(1);
        p.append("t", 0, record(null, "first", 1), (r, e) -> {
            inCallback.countDown();
            try {
                release.await(30, TimeUnit.SECONDS); // holds the sync thread past the stop's or deletion's wait
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        });
        assertThat(inCallback.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<AppendResult> unsynced = p.append("t", 0, record(null, "unsynced", 2));
        log.pauseWrites();
        log.resumeWrites(); // writes it on this thread; only the held sync thread would sync it
        log.stopWaitMillis = 50;
        return unsynced;
    }
}
