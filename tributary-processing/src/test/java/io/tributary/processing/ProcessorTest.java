package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A processor on the real embedded log: order, parallelism, commits, retries and shutdown. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProcessorTest {

    /** The log under test: the embedded engine here; KafkaProcessorTest runs every test again on a Kafka broker. */
    EventLog openLog() {
        return Fixtures.openLog(dir);
    }


    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static List<String> keys(int n) {
        return IntStream.range(0, n).mapToObj(i -> "k" + i).toList();
    }

    /** Records per key in handling order, and fails the test's assertions later if one key ever ran twice at once. */
    static final class OrderRecorder {
        final Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
        final Set<String> active = ConcurrentHashMap.newKeySet();
        final AtomicInteger overlaps = new AtomicInteger();
        final AtomicInteger concurrent = new AtomicInteger();
        final AtomicInteger maxConcurrent = new AtomicInteger();
        final AtomicInteger handled = new AtomicInteger();

        void enter(String key) {
            if (!active.add(key)) {
                overlaps.incrementAndGet();
            }
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
        }

        void exit(String key, int seq, boolean completed) {
            concurrent.decrementAndGet();
            active.remove(key);
            if (completed) {
                byKey.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(seq);
                handled.incrementAndGet();
            }
        }
    }

    @Test
    void handlesEveryEventOnceInKeyOrderWhileRunningDifferentKeysConcurrently() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 3);
            produce(log, "orders", keys(30), 20);
            OrderRecorder rec = new OrderRecorder();
            try (Processor p = Processor.start(log, config("billing", "orders").withConcurrencyPerPartition(8), e -> {
                rec.enter(key(e));
                Thread.sleep(1);
                rec.exit(key(e), seq(e), true);
            })) {
                await("all 600 events handled", WAIT, () -> rec.handled.get() == 600);
                await("everything committed", WAIT, () -> log.admin().describeGroup("billing").totalLag() == 0);
            }
            assertThat(rec.overlaps).hasValue(0);
            assertThat(rec.maxConcurrent.get()).as("different keys ran at the same time").isGreaterThan(1);
            assertThat(rec.byKey).hasSize(30);
            rec.byKey.forEach((k, seqs) -> assertThat(seqs).as(k).containsExactlyElementsOf(
                    IntStream.range(0, 20).boxed().toList()));
        }
    }

    @Test
    void neverCommitsPastAnEventStillBeingHandled() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            // offsets 0..9: k0..k9 seq 0; the stuck event is "stuck" at offset 10; then 40 more events of other keys.
            produce(log, "orders", keys(10), 1);
            produce(log, "orders", List.of("stuck"), 1);
            produce(log, "orders", keys(10), 1, 5);
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, config("billing", "orders"), e -> {
                if (key(e).equals("stuck")) {
                    release.await();
                }
                handled.incrementAndGet();
            })) {
                await("every other event handled", WAIT, () -> handled.get() == 50);
                await("progress below the stuck event committed", WAIT, () -> committed(log, "billing", tp) == 10);
                Thread.sleep(200); // several commit intervals pass with 40 completed events above the stuck one
                assertThat(committed(log, "billing", tp)).isEqualTo(10);
                assertThat(p.committedOffsets()).containsEntry(tp, 10L);

                release.countDown();
                await("everything committed once the stuck event completes", WAIT,
                        () -> committed(log, "billing", tp) == 51);
            }
        }
    }

    @Test
    void retriesAFailingEventBeforeLaterEventsOfItsKeyWhileOtherKeysContinue() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("flaky", "steady"), 10);
            OrderRecorder rec = new OrderRecorder();
            AtomicInteger flakyAttempts = new AtomicInteger();
            AtomicInteger steadyDone = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withRetry(RetryPolicy.defaults().withMaxAttempts(1000)
                    .withBackoff(Duration.ofMillis(5), Duration.ofMillis(5)));
            try (Processor p = Processor.start(log, cfg, e -> {
                rec.enter(key(e));
                boolean ok = false;
                try {
                    // flaky#3 keeps failing until every steady event completed: only possible if the steady key was
                    // not held up behind flaky's retries
                    if (key(e).equals("flaky") && seq(e) == 3) {
                        flakyAttempts.incrementAndGet();
                        if (steadyDone.get() < 10) {
                            throw new IllegalStateException("transient failure of flaky#3");
                        }
                    }
                    ok = true;
                } finally {
                    rec.exit(key(e), seq(e), ok);
                }
                if (key(e).equals("steady")) {
                    steadyDone.incrementAndGet();
                }
            })) {
                await("all 20 events handled", WAIT, () -> rec.handled.get() == 20);
                assertThat(p.failure()).isEmpty();
            }
            assertThat(rec.overlaps).hasValue(0);
            assertThat(rec.byKey.get("flaky")).containsExactlyElementsOf(IntStream.range(0, 10).boxed().toList());
            assertThat(rec.byKey.get("steady")).containsExactlyElementsOf(IntStream.range(0, 10).boxed().toList());
        }
    }

    @Test
    void retriesAFailingEventWithBackoffBeforeTheNextEventOfItsKey() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 5);
            List<String> calls = new CopyOnWriteArrayList<>();
            AtomicInteger failures = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                    .withBackoff(Duration.ofMillis(20), Duration.ofMillis(20)).withJitter(0));
            try (Processor p = Processor.start(log, cfg, e -> {
                calls.add("a#" + seq(e));
                if (seq(e) == 2 && failures.incrementAndGet() <= 2) {
                    throw new IllegalStateException("transient");
                }
            })) {
                await("all five handled", WAIT, () -> calls.size() == 7);
            }
            assertThat(calls).containsExactly("a#0", "a#1", "a#2", "a#2", "a#2", "a#3", "a#4");
        }
    }

    @Test
    void stopsWithoutSkippingWhenTheLastAttemptFails() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a"), 5); // offsets 0..4; seq 2 is poison
            AtomicInteger poisonAttempts = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                    .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)))
                    .withDeadLetter(DeadLetterPolicy.stopProcessor());
            Processor p = Processor.start(log, cfg, e -> {
                if (seq(e) == 2) {
                    poisonAttempts.incrementAndGet();
                    throw new IllegalStateException("cannot handle #2");
                }
            });
            assertThat(p.awaitTermination(WAIT)).isTrue();
            assertThat(p.state()).isEqualTo(ProcessorState.FAILED);
            ProcessorFailure f = p.failure().orElseThrow();
            assertThat(f.partition()).contains(tp);
            assertThat(f.offset()).hasValue(2);
            assertThat(f.attempts()).isEqualTo(3);
            assertThat(f.cause()).hasMessage("cannot handle #2");
            assertThat(f.message()).contains("orders-0@2").contains("after 3 attempt(s)").contains("start the processor again");
            assertThat(poisonAttempts).hasValue(3);
            assertThat(committed(log, "billing", tp)).isEqualTo(2);
            p.close();

            List<Integer> redelivered = new CopyOnWriteArrayList<>();
            try (Processor fixed = Processor.start(log, cfg, e -> redelivered.add(seq(e)))) {
                await("the failed event and those after it redelivered", WAIT, () -> redelivered.size() == 3);
            }
            assertThat(redelivered).containsExactly(2, 3, 4);
        }
    }

    @Test
    void nonRetryableFailuresAreNotRetried() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 1);
            AtomicInteger calls = new AtomicInteger();
            Processor p = Processor.start(log, config("billing", "orders").withRetry(RetryPolicy.defaults()
                    .withNonRetryable(t -> t instanceof IllegalArgumentException))
                    .withDeadLetter(DeadLetterPolicy.stopProcessor()), e -> {
                        calls.incrementAndGet();
                        throw new IllegalArgumentException("malformed");
                    });
            assertThat(p.awaitTermination(WAIT)).isTrue();
            assertThat(p.failure().orElseThrow().attempts()).isEqualTo(1);
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void closeFinishesInFlightWorkAndCommitsIt() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", keys(4), 25); // 100 events, offsets 0..99
            CountDownLatch inFlight = new CountDownLatch(4);
            List<Integer> first = new CopyOnWriteArrayList<>();
            Processor p = Processor.start(log, config("billing", "orders").withConcurrencyPerPartition(4)
                    .withCommitInterval(Duration.ofMinutes(1)), e -> {
                        if (seq(e) == 10) {
                            inFlight.countDown();
                            Thread.sleep(300); // still running when close() is called
                        }
                        first.add(seq(e));
                    });
            assertThat(inFlight.await(30, TimeUnit.SECONDS)).isTrue();
            p.close();
            assertThat(p.state()).isEqualTo(ProcessorState.STOPPED);
            // the four in-flight seq-10 events finished and their completion was committed on close
            assertThat(first.stream().filter(s -> s == 10)).hasSize(4);
            long committedAtClose = committed(log, "billing", tp);
            assertThat(committedAtClose).isEqualTo(44); // offsets 0..43 are seq 0..10 of the four keys
            assertThat(first).hasSize(44);

            List<Integer> second = new CopyOnWriteArrayList<>();
            try (Processor again = Processor.start(log, config("billing", "orders"), e -> second.add(seq(e)))) {
                await("the rest handled by the next run", WAIT, () -> second.size() == 56);
            }
            assertThat(second).allMatch(s -> s > 10);
        }
    }
}
