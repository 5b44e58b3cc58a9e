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
        store.beforeDrain = () -> {
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
}
