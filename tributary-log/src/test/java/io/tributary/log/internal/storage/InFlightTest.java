package io.tributary.log.internal.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The list {@code flush()} waits on: an append not done must stay in it, whatever the other threads trim. */
@Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InFlightTest {

    @Test
    void appendsNotDoneStayTrackedWhileManyThreadsTrimTheDoneOnes() throws Exception {
        // Two threads trimming at once could both see the same done head and both poll: the second removed the next
        // entry though it was not done, and a flush then returned before that append was durable.
        InFlight inFlight = new InFlight();
        int threads = 4;
        List<List<CompletableFuture<Void>>> undone = new ArrayList<>();
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger lost = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            List<CompletableFuture<Void>> mine = new ArrayList<>();
            undone.add(mine);
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                CompletableFuture<Void> previous = null;
                for (int i = 0; i < 200_000; i++) {
                    if (i % 8 == 0) {
                        // an append in flight: done once this thread's next one is added, so the head keeps moving
                        CompletableFuture<Void> next = new CompletableFuture<>();
                        inFlight.add(next);
                        if (previous != null) {
                            if (!inFlight.tracks(previous)) {
                                lost.incrementAndGet();
                            }
                            previous.complete(null);
                        }
                        previous = next;
                    } else {
                        inFlight.add(CompletableFuture.completedFuture(null)); // an append done at once
                    }
                }
                mine.add(previous);
            }));
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        assertThat(lost).as("appends dropped from the list before they were done").hasValue(0);
        // each thread's last append is not done: a flush must wait for all of them
        CompletableFuture<Void> flush = CompletableFuture.runAsync(inFlight::awaitAll);
        Thread.sleep(50);
        assertThat(flush).as("flush waits for the appends not done").isNotDone();
        for (List<CompletableFuture<Void>> mine : undone) {
            mine.getFirst().complete(null);
        }
        flush.get(10, TimeUnit.SECONDS);
    }
}
