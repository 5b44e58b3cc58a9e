package io.tributary.eventstore.internal.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.Direction;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.embedded.EmbeddedStores;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The index keeps an append's in-flight state (its future) only until the log acknowledges it, so whatever must wait
 * for an append still in flight finds it through the stream: a repeat of that append waits and answers with its
 * positions, and a read of the stream waits and sees it.
 */
class InFlightAppendTest {

    private static EventData event(String text) {
        return EventData.of("E", text.getBytes(StandardCharsets.UTF_8));
    }

    /** Holds the log's acknowledgements until {@code release} opens; {@code held} opens when the first is held. */
    private static void holdAcknowledgements(EmbeddedEventStore store, CountDownLatch held, CountDownLatch release) {
        store.beforeDrain = holding(held, release);
    }

    /** A hook that opens {@code held} and waits (at most 60 s) for {@code release}. */
    private static Runnable holding(CountDownLatch held, CountDownLatch release) {
        return () -> {
            held.countDown();
            try {
                release.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    @Test
    void aRepeatOfAnAppendStillInFlightWaitsForItAndAnswersWithItsPositions() throws Exception {
        try (EmbeddedEventStore store = EmbeddedStores.open(EmbeddedStores.newDir(), 1_000_000);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            store.append("cart-1", ExpectedVersion.noStream(), List.of(event("opened")));
            List<EventData> batch = List.of(event("item a"), event("item b"));
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            holdAcknowledgements(store, held, release);
            Future<WriteResult> original = threads.submit(() -> store.append("cart-1", ExpectedVersion.exactly(0), batch));
            assertThat(held.await(30, TimeUnit.SECONDS)).as("the log acknowledged the append, held").isTrue();
            store.beforeDrain = null;
            Future<WriteResult> repeat = threads.submit(() -> store.append("cart-1", ExpectedVersion.exactly(0), batch));
            Thread.sleep(200);
            assertThat(repeat).as("the repeat waits for the original to be durable").isNotDone();
            release.countDown();
            WriteResult first = original.get(30, TimeUnit.SECONDS);
            WriteResult second = repeat.get(30, TimeUnit.SECONDS);
            assertThat(second.idempotent()).isTrue();
            assertThat(second.lastVersion()).isEqualTo(2);
            assertThat(second.firstPosition()).isEqualTo(first.firstPosition());
            assertThat(second.lastPosition()).isEqualTo(first.lastPosition()).isEqualTo(first.firstPosition() + 1);
        }
    }

    /**
     * Regression: the drain cleared the stream's in-flight future before it moved the watermark, so a read in between
     * found no future to wait for and a watermark short of the append, and returned the stream without it (the
     * conformance kit's aReadAfterAConflictSeesTheWinningVersion failed once: a loser re-read a stale version).
     */
    @Test
    void aReadBetweenTheAcknowledgementAndTheWatermarkWaitsAndSeesTheAppend() throws Exception {
        try (EmbeddedEventStore store = EmbeddedStores.open(EmbeddedStores.newDir(), 1_000_000);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            store.append("cart-3", ExpectedVersion.noStream(), List.of(event("opened")));
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            store.beforeWatermark = holding(held, release);
            Future<WriteResult> append = threads.submit(() -> store.append("cart-3", ExpectedVersion.exactly(0),
                    List.of(event("item"))));
            assertThat(held.await(30, TimeUnit.SECONDS)).as("the offset is in the index, the watermark not moved").isTrue();
            store.beforeWatermark = null;
            Future<Long> lastRead = threads.submit(
                    () -> store.readStream("cart-3", Direction.BACKWARD, Long.MAX_VALUE, 1).getFirst().version());
            Thread.sleep(200);
            release.countDown();
            assertThat(append.get(30, TimeUnit.SECONDS).lastVersion()).isEqualTo(1);
            assertThat(lastRead.get(30, TimeUnit.SECONDS)).as("the read's last version").isEqualTo(1);
        }
    }

    @Test
    void aReadWaitsForTheStreamsAppendStillInFlightAndSeesIt() throws Exception {
        try (EmbeddedEventStore store = EmbeddedStores.open(EmbeddedStores.newDir(), 1_000_000);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            store.append("cart-2", ExpectedVersion.noStream(), List.of(event("opened")));
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            holdAcknowledgements(store, held, release);
            Future<WriteResult> append = threads.submit(() -> store.append("cart-2", ExpectedVersion.exactly(0),
                    List.of(event("item"))));
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            store.beforeDrain = null;
            Future<Integer> read = threads.submit(() -> store.readStream("cart-2", Direction.FORWARD, 0, 10).size());
            Thread.sleep(200);
            assertThat(read).as("the read waits for the append in flight").isNotDone();
            release.countDown();
            append.get(30, TimeUnit.SECONDS);
            assertThat(read.get(30, TimeUnit.SECONDS)).isEqualTo(2);
            // acknowledged: the next read finds nothing to wait for
            assertThat(store.readStream("cart-2", Direction.FORWARD, 0, 10)).hasSize(2);
        }
    }

    /** Waits until the store's index holds {@code appends} appends of {@code stream} (the last perhaps in flight). */
    private static void awaitIndexed(EmbeddedEventStore store, String stream, int appends) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String line = "";
        while (System.nanoTime() < deadline) {
            line = store.indexFingerprint().lines().filter(l -> l.startsWith(stream + " ")).findFirst().orElse("");
            if (line.chars().filter(c -> c == '@').count() >= appends) {
                return;
            }
            Thread.sleep(5);
        }
        throw new AssertionError("the index never held " + appends + " appends of '" + stream + "': " + line);
    }

    @Test
    void anAppendAcknowledgedAfterTheNextOneGrewTheStreamsArraysKeepsItsOffset() throws Exception {
        try (EmbeddedEventStore store = EmbeddedStores.open(EmbeddedStores.newDir(), 1_000_000);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int v = 0; v < 3; v++) {
                store.append("cart-3", v == 0 ? ExpectedVersion.noStream() : ExpectedVersion.exactly(v - 1),
                        List.of(event("e" + v)));
            }
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            holdAcknowledgements(store, held, release);
            Future<WriteResult> fourth = threads.submit(() -> store.append("cart-3", ExpectedVersion.exactly(2),
                    List.of(event("e3"))));
            assertThat(held.await(30, TimeUnit.SECONDS)).as("the log acknowledged the 4th append, held").isTrue();
            // the stream's arrays have room for 4 appends: the 5th copies them while the 4th's offset is still -1
            Future<WriteResult> fifth = threads.submit(() -> store.append("cart-3", ExpectedVersion.exactly(3),
                    List.of(event("e4"), event("e5"))));
            awaitIndexed(store, "cart-3", 5);
            assertThat(fourth).isNotDone();
            store.beforeDrain = null;
            release.countDown();
            WriteResult r4 = fourth.get(30, TimeUnit.SECONDS);
            WriteResult r5 = fifth.get(30, TimeUnit.SECONDS);
            assertThat(r4.lastVersion()).isEqualTo(3);
            assertThat(r5.lastVersion()).isEqualTo(5);
            assertThat(r5.firstPosition()).isGreaterThan(r4.lastPosition());
            assertThat(r5.lastPosition()).isEqualTo(r5.firstPosition() + 1);

            List<io.tributary.eventstore.RecordedEvent> read = store.readStream("cart-3", Direction.FORWARD, 0, 10);
            assertThat(read).extracting(io.tributary.eventstore.RecordedEvent::version).containsExactly(0L, 1L, 2L, 3L, 4L, 5L);
            assertThat(read.get(3).position()).isEqualTo(r4.firstPosition());
            assertThat(read.get(4).position()).isEqualTo(r5.firstPosition());
            assertThat(read.get(5).position()).isEqualTo(r5.lastPosition());
            assertThat(store.readStream("cart-3", Direction.BACKWARD, 5, 3))
                    .extracting(io.tributary.eventstore.RecordedEvent::version).containsExactly(5L, 4L, 3L);
            assertThat(store.indexFingerprint()).doesNotContain("@-1");
        }
    }

    @Test
    void aRepeatOfTheFirstOfTwoAppendsInFlightOnOneStreamAnswersWithTheFirstsPositions() throws Exception {
        try (EmbeddedEventStore store = EmbeddedStores.open(EmbeddedStores.newDir(), 1_000_000);
             ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            store.append("cart-4", ExpectedVersion.noStream(), List.of(event("opened")));
            List<EventData> firstBatch = List.of(event("item a"), event("item b"));
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            holdAcknowledgements(store, held, release);
            Future<WriteResult> first = threads.submit(() -> store.append("cart-4", ExpectedVersion.exactly(0), firstBatch));
            assertThat(held.await(30, TimeUnit.SECONDS)).isTrue();
            Future<WriteResult> second = threads.submit(() -> store.append("cart-4", ExpectedVersion.exactly(2),
                    List.of(event("item c"))));
            awaitIndexed(store, "cart-4", 3);
            Future<WriteResult> repeat = threads.submit(() -> store.append("cart-4", ExpectedVersion.exactly(0), firstBatch));
            Thread.sleep(200);
            assertThat(repeat).as("the repeat waits while both appends are in flight").isNotDone();
            store.beforeDrain = null;
            release.countDown();
            WriteResult r1 = first.get(30, TimeUnit.SECONDS);
            WriteResult r2 = second.get(30, TimeUnit.SECONDS);
            WriteResult again = repeat.get(30, TimeUnit.SECONDS);
            assertThat(again.idempotent()).isTrue();
            assertThat(again.lastVersion()).isEqualTo(2);
            assertThat(again.firstPosition()).isEqualTo(r1.firstPosition());
            assertThat(again.lastPosition()).isEqualTo(r1.lastPosition());
            assertThat(r2.lastVersion()).isEqualTo(3);
            assertThat(r2.firstPosition()).isGreaterThan(r1.lastPosition());
            assertThat(store.readStream("cart-4", Direction.FORWARD, 0, 10)).hasSize(4);
        }
    }
}
