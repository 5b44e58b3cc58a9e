package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where handler calls run ({@link HandlerThreads}), and that a finished call wakes the poll loop: the loop applies
 * completions only on its own thread, so a completion it is not told about waits for the next record or poll timeout.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HandlerThreadsTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    /** Far beyond every wait of these tests: only a wake-up ends a poll before it. */
    private static final Duration NEVER = Duration.ofMinutes(10);

    @TempDir
    Path dir;

    private static List<String> keys(int n) {
        return IntStream.range(0, n).mapToObj(i -> "k" + i).toList();
    }

    @Test
    void handlerCallsRunOnAtMostTheConfiguredPlatformThreads() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 4);
            produce(log, "orders", keys(100), 2);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            AtomicInteger running = new AtomicInteger();
            AtomicInteger mostRunning = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig c = config("billing", "orders").withHandlerThreads(HandlerThreads.platform(2));
            try (Processor p = Processor.start(log, c, e -> {
                threads.add(Thread.currentThread());
                mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
                try {
                    Thread.sleep(1); // long enough that the 16 calls per partition allowed would overlap
                } finally {
                    running.decrementAndGet();
                    handled.incrementAndGet();
                }
            })) {
                await("every event handled", WAIT, () -> handled.get() == 200);
            }
            assertThat(mostRunning.get()).as("calls running at once").isBetween(1, 2);
            assertThat(threads).hasSizeBetween(1, 2).noneMatch(Thread::isVirtual);
        }
    }

    @Test
    void handlerCallsRunOnVirtualThreadsByDefault() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", keys(5), 1);
            Set<Thread> threads = ConcurrentHashMap.newKeySet();
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, config("billing", "orders"), e -> {
                threads.add(Thread.currentThread());
                handled.incrementAndGet();
            })) {
                await("every event handled", WAIT, () -> handled.get() == 5);
            }
            assertThat(threads).isNotEmpty().allMatch(Thread::isVirtual);
        }
    }

    @Test
    void everyFinishedCallWakesAPollThatWouldOtherwiseWaitLongerThanTheTest() throws Exception {
        TopicPartition p0 = new TopicPartition("orders", 0);
        for (HandlerThreads threads : List.of(HandlerThreads.virtual(), HandlerThreads.platform(1))) {
            try (EventLog log = Fixtures.openLog(dir.resolve(threads.toString().replaceAll("\\W", "")))) {
                createTopic(log, "orders", 1);
                ProcessorConfig c = config("billing", "orders").withPollTimeout(NEVER).withHandlerThreads(threads);
                LinkedBlockingQueue<CountDownLatch> calls = new LinkedBlockingQueue<>();
                try (Processor p = Processor.start(log, c, e -> {
                    CountDownLatch release = new CountDownLatch(1);
                    calls.add(release);
                    release.await();
                })) {
                    // Each call is held until the loop has published it as in flight, so the loop is back in a poll
                    // of NEVER when it finishes: only the completion's wake-up lets the loop apply it. Three rounds,
                    // so a wake-up is asked for again after the loop drained the previous one.
                    for (int round = 1; round <= 3; round++) {
                        produce(log, "orders", List.of("k"), round - 1, round);
                        CountDownLatch release = calls.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                        assertThat(release).as(threads + ": call " + round + " started").isNotNull();
                        await(threads + ": call " + round + " published as in flight", WAIT,
                                () -> inFlight(p, p0) == 1);
                        release.countDown();
                        await(threads + ": call " + round + " applied as finished", WAIT,
                                () -> inFlight(p, p0) == 0);
                    }
                }
            }
        }
    }

    // Repeated: the stop used to interrupt the running call before marking the queued one, and the worker freed by
    // that interrupt could take the queued call first (a race; it failed about one run in ten on a loaded machine).
    @RepeatedTest(25)
    void aCallStillWaitingForAPlatformThreadWhenTheProcessorClosesIsNeverHandedToTheHandler() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            ProcessorConfig c = config("billing", "orders").withHandlerThreads(HandlerThreads.platform(1))
                    .withShutdownTimeout(Duration.ZERO);
            CountDownLatch firstStarted = new CountDownLatch(1);
            Set<String> called = ConcurrentHashMap.newKeySet();
            Set<String> calledInterrupted = ConcurrentHashMap.newKeySet();
            Processor p = Processor.start(log, c, e -> {
                String key = Fixtures.key(e);
                called.add(key);
                if (Thread.currentThread().isInterrupted()) {
                    calledInterrupted.add(key);
                }
                if (key.equals("a")) {
                    firstStarted.countDown();
                    new CountDownLatch(1).await(); // until the close interrupts it
                }
            });
            produce(log, "orders", List.of("a", "b"), 1);
            assertThat(firstStarted.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            await("b queued behind a", WAIT, () -> inFlight(p, new TopicPartition("orders", 0)) == 2);
            p.close();
            Thread.sleep(100); // a worker freed by the close's interrupt would take b now
            assertThat(called).as("keys handed to the handler").containsExactly("a");
            assertThat(calledInterrupted).isEmpty();
        }
    }

    private static int inFlight(Processor p, TopicPartition tp) {
        return p.bufferFill().stream().filter(f -> f.partition().equals(tp)).mapToInt(BufferFill::inFlight)
                .findFirst().orElse(-1);
    }
}
