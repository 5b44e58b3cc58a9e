package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Micro-batches: bounded by events and bytes, flushed by the wait, in per-key order, with retries of whole batches. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BatchingTest {

    /** The log under test: the embedded engine here; KafkaBatchingTest runs every test again on a Kafka broker. */
    EventLog openLog() {
        return Fixtures.openLog(dir);
    }


    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void batchesRespectEventAndByteLimitsAndKeepPerKeyOrder() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 2);
            List<String> keys = IntStream.range(0, 20).mapToObj(i -> "k" + i).toList();
            produce(log, "orders", keys, 50); // 1000 events
            List<List<LogRecord>> batches = new CopyOnWriteArrayList<>();
            Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("billing", "orders").withBatching(64, 1500, Duration.ofMillis(5));
            try (Processor p = Processor.startBatched(log, cfg, events -> {
                batches.add(events);
                for (LogRecord e : events) {
                    byKey.computeIfAbsent(key(e), k -> Collections.synchronizedList(new ArrayList<>())).add(seq(e));
                }
                handled.addAndGet(events.size());
            })) {
                await("all 1000 events handled", WAIT, () -> handled.get() == 1000);
            }
            for (List<LogRecord> b : batches) {
                assertThat(b).isNotEmpty().hasSizeLessThanOrEqualTo(64);
                assertThat(b.stream().mapToInt(LogRecord::sizeInBytes).sum()).isLessThanOrEqualTo(1500);
                assertThat(b.stream().map(LogRecord::partition).distinct()).hasSize(1);
                assertThat(b).isSortedAccordingTo((x, y) -> Long.compare(x.offset(), y.offset()));
            }
            assertThat(batches.stream().mapToInt(List::size).max().orElse(0)).as("events were batched")
                    .isGreaterThan(1);
            keys.forEach(k -> assertThat(byKey.get(k)).as(k)
                    .containsExactlyElementsOf(IntStream.range(0, 50).boxed().toList()));
        }
    }

    @Test
    void aPartialBatchIsHandedOverOnceTheWaitPasses() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a", "b", "c"), 1);
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = Fixtures.config("billing", "orders").withBatching(500, 1 << 20, Duration.ofMillis(50));
            try (Processor p = Processor.startBatched(log, cfg, events -> sizes.add(events.size()))) {
                await("the three events handed over", WAIT, () -> sizes.stream().mapToInt(i -> i).sum() == 3);
            }
            assertThat(sizes).containsExactly(3);
        }
    }

    @Test
    void aPartialBatchGoesWhenItsWaitPassesThoughThePollWouldWaitMuchLonger() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            List<Integer> sizes = new CopyOnWriteArrayList<>();
            // No commit (whose acknowledgement also wakes the loop) and no poll timeout for 20 s or more: only the
            // batch's own deadline can end the poll's wait.
            ProcessorConfig cfg = Fixtures.config("billing", "orders").withBatching(500, 1 << 20, Duration.ofMillis(20))
                    .withPollTimeout(Duration.ofSeconds(20)).withCommitInterval(Duration.ofSeconds(60));
            try (Processor p = Processor.startBatched(log, cfg, events -> sizes.add(events.size()))) {
                await("the partition assigned", WAIT, () -> p.bufferFill().size() == 1);
                long t0 = System.nanoTime();
                produce(log, "orders", List.of("a", "b", "c"), 1);
                await("the three events handed over", WAIT, () -> sizes.stream().mapToInt(i -> i).sum() == 3);
                assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            }
            assertThat(sizes).containsExactly(3);
        }
    }

    @Test
    void aFailedBatchIsRetriedWholeBeforeLaterEventsOfItsKeys() throws Exception {
        try (EventLog log = openLog()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a", "b"), 30);
            Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("billing", "orders").withBatching(7, 1 << 20, Duration.ofMillis(2))
                    .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(5), Duration.ofMillis(20)));
            try (Processor p = Processor.startBatched(log, cfg, events -> {
                // every batch holding seq 13 fails on its first two attempts
                if (events.stream().anyMatch(e -> seq(e) == 13) && failures.incrementAndGet() <= 2) {
                    throw new IllegalStateException("transient");
                }
                for (LogRecord e : events) {
                    byKey.computeIfAbsent(key(e), k -> Collections.synchronizedList(new ArrayList<>())).add(seq(e));
                }
                handled.addAndGet(events.size());
            })) {
                await("all 60 events handled", WAIT, () -> handled.get() == 60);
            }
            assertThat(failures.get()).isGreaterThanOrEqualTo(2);
            List<Integer> expected = IntStream.range(0, 30).boxed().toList();
            assertThat(byKey.get("a")).containsExactlyElementsOf(expected);
            assertThat(byKey.get("b")).containsExactlyElementsOf(expected);
        }
    }
}
