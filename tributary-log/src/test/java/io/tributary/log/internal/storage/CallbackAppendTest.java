package io.tributary.log.internal.storage;

import static io.tributary.log.internal.storage.StorageFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded producer's own callback form, which makes no future per record: what it tells and when, and that
 * {@code flush()} still waits for its appends (it used to find every append in flight through its future).
 */
// flush() waits uninterruptibly: a separate thread lets a flush that never returns fail the test instead of hanging it
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CallbackAppendTest {

    @TempDir
    Path dir;

    @Test
    void flushReturnsOnlyOnceEveryCallbackAppendBeforeItWasTold() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 2, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            for (int round = 0; round < 20; round++) {
                AtomicInteger told = new AtomicInteger();
                AppendCallback count = (r, e) -> told.incrementAndGet();
                for (int i = 0; i < 50; i++) {
                    p.append("t", i % 2, record(null, "v" + i, 1_000 + i), count);
                }
                p.flush();
                assertThat(told).as("round %d: callbacks told when flush returned", round).hasValue(50);
            }
        }
    }

    @Test
    void tellsEachRecordWhereItLandedInOffsetOrderPerPartitionOnTheAcknowledgingThread() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            ConcurrentLinkedQueue<AppendResult> results = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();
            CountDownLatch all = new CountDownLatch(100);
            for (int i = 0; i < 100; i++) {
                p.append("t", record("k" + i, "v" + i, 5_000 + i), (r, e) -> {
                    assertThat(e).isNull();
                    results.add(r);
                    threads.add(Thread.currentThread().getName());
                    all.countDown();
                });
            }
            assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
            List<AppendResult> got = new ArrayList<>(results);
            for (int i = 0; i < got.size(); i++) {
                assertThat(got.get(i)).isEqualTo(new AppendResult("t", 0, i, 5_000 + i));
            }
            // under fsync=always only the sync thread acknowledges: the callback runs there, no hop to another thread
            assertThat(threads).allSatisfy(name -> assertThat(name).startsWith("tributary-sync-"));
        }
    }

    @Test
    void flushesRacingEachOtherAndTheAcknowledgementsAllReturn() throws Exception {
        // Two flushes waiting on one append must wait on the same completion: one that replaced the other's left it
        // waiting forever (the @Timeout fails the test then).
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            AtomicInteger told = new AtomicInteger();
            AppendCallback count = (r, e) -> told.incrementAndGet();
            List<Thread> flushers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                flushers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 500; i++) {
                        p.append("t", 0, record(null, "v", 1), count);
                        p.flush();
                    }
                }));
            }
            for (Thread t : flushers) {
                t.join();
            }
            assertThat(told).hasValue(2_000);
        }
    }

    @Test
    void aCallbackThatThrowsAnErrorDoesNotStopTheSyncThreadOrTheOtherAcknowledgements() throws Exception {
        // The callback runs on the sync thread: an Error out of it used to end that thread (the future it replaced
        // caught everything), leaving every later append of the partition unacknowledged.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            CountDownLatch told = new CountDownLatch(20);
            for (int i = 0; i < 20; i++) {
                p.append("t", 0, record(null, "v" + i, 1), (r, e) -> {
                    told.countDown();
                    throw new AssertionError("a callback's failed assertion");
                });
            }
            assertThat(told.await(10, TimeUnit.SECONDS)).as("every callback told").isTrue();
            assertThat(p.append("t", 0, record(null, "after", 1)).get(10, TimeUnit.SECONDS).offset()).isEqualTo(20);
        }
    }

    @Test
    void aCallbackThatOverflowsItsStackDoesNotStopTheSyncThreadOrTheOtherAcknowledgements() throws Exception {
        // A VirtualMachineError used to be let out on the sync thread: it ended with the partition marked busy, the
        // rest of its sync's batch was never told, later appends only queued, and flush() and close() hung.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            AtomicInteger told = new AtomicInteger();
            for (int i = 0; i < 20; i++) {
                p.append("t", 0, record(null, "v" + i, 1), (r, e) -> {
                    told.incrementAndGet();
                    recurse(0);
                });
            }
            p.flush();
            assertThat(told).as("every callback told").hasValue(20);
            for (int i = 0; i < 20; i++) {
                p.append("t", 0, record(null, "after" + i, 1), (r, e) -> told.incrementAndGet());
            }
            p.flush();
            assertThat(told).hasValue(40);
            assertThat(p.append("t", 0, record(null, "last", 1)).get(10, TimeUnit.SECONDS).offset()).isEqualTo(40);
        }
    }

    private static int recurse(int depth) {
        return recurse(depth + 1) + 1;
    }

    @Test
    void aPartitionWhoseAppendIsHeldUpDoesNotMakeFlushTrackEveryLaterAppend() throws Exception {
        // flush() tracked every append behind the oldest one not done: one partition held up made the list grow with
        // every append to the others, each entry keeping its encoded batch and callback alive. fsync=never: tracking
        // does not depend on the mode, and 4,000 serial fdatasyncs (let alone 20,000) ran near the timeout on CI disks.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 2, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            PartitionLog held = s.partitionLog(new TopicPartition("t", 0));
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
            AtomicInteger heldTold = new AtomicInteger();
            try {
                paused.await();
                p.append("t", 0, record(null, "held", 1), (r, e) -> heldTold.incrementAndGet());
                Semaphore told = new Semaphore(0);
                // just over 3 x SWEEP_MIN: without the sweep every one of them is still tracked and the bound fails
                for (int i = 0; i < 3 * InFlight.SWEEP_MIN + 1_000; i++) {
                    p.append("t", 1, record(null, "v" + i, 1), (r, e) -> told.release());
                    // each told before the next: the held-up one is then the only append not done
                    assertThat(told.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
                }
                assertThat(p.trackedAppends()).as("appends tracked for flush").isLessThan(3 * InFlight.SWEEP_MIN);
                assertThat(heldTold).as("the held-up append is not told before it is written").hasValue(0);
            } finally {
                release.countDown();
                holder.join();
            }
            p.flush();
            assertThat(heldTold).hasValue(1);
        }
    }

    @Test
    void flushInsideACallbackOnTheSyncThreadThrowsInsteadOfWaitingForItself() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "always"));
            EmbeddedProducer p = StorageFixture.producer(s);
            CompletableFuture<Throwable> thrown = new CompletableFuture<>();
            p.append("t", 0, record(null, "v", 1), (r, e) -> {
                try {
                    p.flush();
                    thrown.complete(null);
                } catch (Throwable t) {
                    thrown.complete(t);
                }
            });
            assertThat(thrown.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("tributary-sync-t-0").hasMessageContaining("Flush from the appending code");
            p.flush(); // from the appending thread, as ever
        }
    }

    @Test
    void flushInsideACallbackOnTheAppendingThreadThrowsInsteadOfWaitingForItsOwnAppend() throws Exception {
        // Under fsync=never an idle partition's append is written and told on the appending thread; the append is
        // done only once its callback returns, so a flush there waited for itself forever.
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("fsync", "never"));
            EmbeddedProducer p = StorageFixture.producer(s);
            CompletableFuture<@Nullable Throwable> thrown = new CompletableFuture<>();
            CompletableFuture<String> tellingThread = new CompletableFuture<>();
            Thread appender = Thread.ofPlatform().daemon().name("appender").start(() ->
                    p.append("t", 0, record(null, "v", 1), (r, e) -> {
                        tellingThread.complete(Thread.currentThread().getName());
                        try {
                            p.flush();
                            thrown.complete(null);
                        } catch (Throwable t) {
                            thrown.complete(t);
                        }
                    }));
            assertThat(thrown.get(10, TimeUnit.SECONDS)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("on appender inside an AppendCallback")
                    .hasMessageContaining("Flush from the appending code");
            assertThat(tellingThread.get()).as("told on the appending thread").isEqualTo("appender");
            appender.join(10_000);
            p.flush(); // from the appending code, as ever
        }
    }

    @Test
    void refusesOnTheCallingThreadBeforeReturningAndTakesNoBudget() throws Exception {
        try (EmbeddedStorage s = StorageFixture.open(dir)) {
            StorageFixture.topic(s, "t", 1, Map.of("max.message.bytes", "2000"));
            // a budget of exactly one append: a refusal that kept any of it would make that append wait, then fail
            int budget = 1024;
            String fill = "v".repeat(budget - BatchFormat.encodeOne(record(null, "", 1), null).length);
            assertThat(BatchFormat.encodeOne(record(null, fill, 1), null)).hasSize(budget);
            EmbeddedProducer p = new EmbeddedProducer(s, ProducerConfig.defaults().withBufferMemoryBytes(budget)
                    .withMaxBlock(Duration.ofMillis(100)), () -> { });
            List<@Nullable TributaryException> errors = new ArrayList<>();
            List<String> threads = new ArrayList<>();
            p.append("t", 0, record(null, "x".repeat(5_000), 1), (r, e) -> {
                errors.add(e);
                threads.add(Thread.currentThread().getName());
            });
            p.append("t", 3, record(null, "v", 1), (r, e) -> {
                errors.add(e);
                threads.add(Thread.currentThread().getName());
            });
            assertThat(errors).extracting(e -> e == null ? null : e.code().name())
                    .containsExactly("RECORD_TOO_LARGE", "PARTITION_OUT_OF_RANGE");
            assertThat(threads).containsOnly(Thread.currentThread().getName());
            p.flush(); // nothing of the refusals is in flight
            assertThat(p.append("t", 0, record(null, fill, 1)).get(10, TimeUnit.SECONDS).offset()).isZero();
        }
    }
}
