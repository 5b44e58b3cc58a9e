package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.Direction;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.embedded.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

/**
 * The index checkpoint takes no store lock: appends are neither stalled by its encoding nor by its wait for the log,
 * it covers exactly the records that were durable when it ran (its own index is fed from the log's acknowledgements),
 * and close() writes a final one that covers every append it acknowledged.
 */
class EmbeddedCheckpointTest {

    private static EventData event(String text) {
        return EventData.of("E", text.getBytes(StandardCharsets.UTF_8));
    }

    /** Copies the checkpoint (base and delta file) from one folder to another, replacing what is there. */
    static void copyIndex(Path from, Path to) throws java.io.IOException {
        java.nio.file.Files.createDirectories(to);
        for (String f : List.of(StreamIndex.FILE, StreamIndex.DELTA_FILE)) {
            java.nio.file.Files.deleteIfExists(to.resolve(f));
            if (java.nio.file.Files.exists(from.resolve(f))) {
                java.nio.file.Files.copy(from.resolve(f), to.resolve(f));
            }
        }
    }

    @Test
    void appendsReadsAndMetadataChangesGoOnWhileACheckpointIsBeingWritten() throws Exception {
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 100; i++) {
                store.append("order-" + i, ExpectedVersion.noStream(), List.of(event("placed " + i)));
            }
            CountDownLatch captured = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            store.afterCapture = () -> {
                captured.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS); // the checkpoint is "encoding" until the test lets it go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            // own threads: the common pool has one thread on 2 cores, and the checkpoint holds it
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            Future<?> checkpoint = threads.submit(() -> {
                store.checkpoint();
                return null;
            });
            assertThat(captured.await(30, TimeUnit.SECONDS)).as("the checkpoint captured the index").isTrue();
            try {
                Future<?> work = threads.submit(() -> {
                    for (int i = 0; i < 100; i++) {
                        store.append("order-" + i, ExpectedVersion.exactly(0), List.of(event("paid " + i)));
                    }
                    store.setStreamMetadata("order-1", StreamMetadata.none().withMaxCount(10));
                    store.deleteStream("order-2", ExpectedVersion.exactly(1));
                    return null;
                });
                work.get(30, TimeUnit.SECONDS);
                assertThat(store.readStream("order-5", Direction.FORWARD, 0, 10)).hasSize(2);
                assertThat(checkpoint).isNotDone();
            } finally {
                release.countDown();
            }
            checkpoint.get(30, TimeUnit.SECONDS);
            threads.close();
            store.afterCapture = null;
        }
    }

    @RepeatedTest(3)
    void aCheckpointTakenDuringConcurrentAppendsCoversExactlyTheRecordsDurableWhenItRan() throws Exception {
        Path dir = EmbeddedStores.newDir();
        long recordsAtCheckpoint;
        long recordsAtClose;
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            CountDownLatch captured = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < 16; w++) {
                    int writer = w;
                    writers.add(pool.submit(() -> {
                        for (int i = 0; i < 60; i++) {
                            store.append("acct-" + (writer % 5), ExpectedVersion.any(), List.of(event(writer + "/" + i)));
                            if (i == 20 && writer == 0) {
                                // checkpoint in the middle of the stream of appends, with appends still in flight
                                store.afterCapture = () -> {
                                    captured.countDown();
                                    try {
                                        release.await(60, TimeUnit.SECONDS);
                                    } catch (InterruptedException e) {
                                        Thread.currentThread().interrupt();
                                    }
                                };
                                pool.submit(() -> {
                                    store.checkpoint();
                                    return null;
                                });
                            }
                        }
                        return null;
                    }));
                }
                assertThat(captured.await(30, TimeUnit.SECONDS)).isTrue();
                for (Future<?> f : writers) {
                    f.get(60, TimeUnit.SECONDS); // every writer finishes while the checkpoint is held after its capture
                }
                release.countDown();
            }
            store.afterCapture = null;
            recordsAtClose = (store.committedPosition() + 1) >>> 20;
            recordsAtCheckpoint = StreamIndex.read(dir.resolve("index"), Long.MAX_VALUE).orElseThrow().coveredOffset;
            assertThat(recordsAtCheckpoint).isBetween(1L, recordsAtClose);
            // Remove the checkpoint close() writes, keep the one taken mid-stream: copy it aside, close, put it back.
            copyIndex(dir.resolve("index"), dir.resolve("mid"));
        }
        copyIndex(dir.resolve("mid"), dir.resolve("index"));
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isEqualTo(recordsAtClose - recordsAtCheckpoint);
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            long events = 0;
            for (int s = 0; s < 5; s++) {
                events += reopened.readStream("acct-" + s, Direction.FORWARD, 0, 10_000).size();
            }
            assertThat(events).isEqualTo(16 * 60);
        }
    }

    @Test
    void laterCheckpointsFollowTheLogThroughAppendsDeletesMetadataAndSnapshots() throws Exception {
        Path dir = EmbeddedStores.newDir();
        long covered;
        long total;
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            for (int i = 0; i < 20; i++) {
                store.append("cart-" + i, ExpectedVersion.noStream(), List.of(event("a" + i), event("b" + i)));
            }
            store.checkpoint(); // the first one seeds the checkpoint's own index from the live one
            for (int round = 0; round < 3; round++) {
                store.append("cart-1", ExpectedVersion.any(), List.of(event("more " + round)));
                store.setStreamMetadata("cart-2", StreamMetadata.none().withMaxCount(round + 1));
                store.saveSnapshot(new io.tributary.eventstore.Snapshot("cart-3", 1, "S", new byte[] {(byte) round},
                        System.currentTimeMillis()));
                store.append("new-" + round, ExpectedVersion.noStream(), List.of(event("n" + round)));
                store.checkpoint(); // these apply only the records that became durable since the last one
            }
            store.deleteStream("cart-4", ExpectedVersion.any());
            store.tombstoneStream("cart-5", ExpectedVersion.any());
            store.append("cart-4", ExpectedVersion.noStream(), List.of(event("recreated")));
            store.checkpoint();
            covered = StreamIndex.read(dir.resolve("index"), Long.MAX_VALUE).orElseThrow().coveredOffset;
            total = (store.committedPosition() + 1) >>> 20;
            assertThat(covered).isEqualTo(total);
            store.append("cart-6", ExpectedVersion.any(), List.of(event("after the checkpoint")));
            copyIndex(dir.resolve("index"), dir.resolve("last"));
        }
        copyIndex(dir.resolve("last"), dir.resolve("index"));
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).isEqualTo(1);
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint());
            assertThat(reopened.indexFingerprint()).contains("cart-5 last=1 del<0 tomb").contains("cart-4 last=2 del<2");
        }
    }

    /**
     * Regression (review): close() wrote its final checkpoint as soon as the producer's flush returned, which can be
     * before the acknowledgement callback drained the record into the checkpoint journal; the record was then only
     * replayed at the next open. Here the callback is held up until close() has had every chance to miss it.
     */
    @Test
    void closeWaitsForAnAppendTheLogCompletedButTheStoreHasNotDrainedYet() throws Exception {
        Path dir = EmbeddedStores.newDir();
        EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000);
        store.append("order-1", ExpectedVersion.noStream(), List.of(event("placed")));
        store.checkpoint();
        CountDownLatch inCallback = new CountDownLatch(1);
        store.beforeDrain = () -> {
            inCallback.countDown();
            try {
                Thread.sleep(500); // the log has completed the append; the store has not seen it yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> append = threads.submit(() -> store.append("order-1", ExpectedVersion.exactly(0),
                    List.of(event("paid"))));
            assertThat(inCallback.await(30, TimeUnit.SECONDS)).isTrue();
            store.close();
            append.get(30, TimeUnit.SECONDS);
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.recoveredRecords()).as("the final checkpoint covers the in-flight append").isZero();
            assertThat(reopened.indexFingerprint()).isEqualTo(reopened.rebuiltIndexFingerprint())
                    .contains("order-1 last=1");
        }
    }

    /**
     * Regression (review): an interrupt while a control record (here a metadata change) waited to become durable made
     * the call fail although the record was stored, so this instance kept the old metadata until a reopen.
     */
    @Test
    void anInterruptWhileAMetadataChangeBecomesDurableStillAppliesIt() throws Exception {
        StreamMetadata limited = StreamMetadata.none().withMaxCount(2);
        Path dir = EmbeddedStores.newDir();
        try (EmbeddedEventStore store = EmbeddedStores.open(dir, 1_000_000)) {
            store.append("order-1", ExpectedVersion.noStream(), List.of(event("placed")));
            store.beforeControlWait = () -> Thread.currentThread().interrupt();
            try {
                store.setStreamMetadata("order-1", limited);
            } finally {
                store.beforeControlWait = null;
                assertThat(Thread.interrupted()).as("the interrupt is kept for the caller").isTrue();
            }
            assertThat(store.streamMetadata("order-1")).isEqualTo(limited);
        }
        try (EmbeddedEventStore reopened = EmbeddedStores.open(dir, 1_000_000)) {
            assertThat(reopened.streamMetadata("order-1")).isEqualTo(limited);
        }
    }
}
