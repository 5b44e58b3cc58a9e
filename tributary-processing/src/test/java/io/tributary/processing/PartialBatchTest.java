package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link Processor#startPartialBatched}: batched calls whose named events are retried and dead-lettered alone. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PartialBatchTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** Batches gathered long enough that the test's events, appended before the start, arrive in one batch. */
    private static ProcessorConfig batched(String name) {
        return config(name, "orders").withBatching(500, 1 << 20, Duration.ofMillis(50))
                .withRetry(RetryPolicy.defaults().withMaxAttempts(2)
                        .withBackoff(Duration.ofMillis(1), Duration.ofMillis(1)));
    }

    private static List<String> names(List<LogRecord> events) {
        return events.stream().map(e -> key(e) + "#" + seq(e)).toList();
    }

    @Test
    void deadLettersOnlyTheNamedEventAfterItsOwnCallsAndCompletesTheRestOfItsBatch() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            List<String> keys = new ArrayList<>(IntStream.range(0, 10).mapToObj(i -> "k" + i).toList());
            keys.add(5, "poison");
            produce(log, "orders", keys, 1);   // 11 events, the poison one at offset 5
            List<List<String>> calls = new CopyOnWriteArrayList<>();
            Set<String> applied = ConcurrentHashMap.newKeySet();
            try (Processor p = Processor.startPartialBatched(log, batched("billing"), (events, attempt) -> {
                calls.add(names(events));
                List<LogRecord> poison = events.stream().filter(e -> key(e).equals("poison")).toList();
                if (!poison.isEmpty() && events.size() == 1) {
                    throw new IllegalArgumentException("poison#0 cannot be applied");
                }
                events.stream().filter(e -> !poison.contains(e)).forEach(e -> applied.add(key(e)));
                return BatchOutcome.handAgainAlone(poison);
            })) {
                await("every event committed", WAIT, () -> committed(log, "billing", tp) == 11);
                assertThat(p.failure()).isEmpty();
                List<DeadLetter> dead = p.deadLetters().list();
                assertThat(dead).extracting(d -> key(d.original())).containsExactly("poison");
                assertThat(dead.getFirst().failure().orElseThrow().message()).contains("poison#0 cannot be applied");
            }
            assertThat(applied).hasSize(10).doesNotContain("poison");
            assertThat(calls.getFirst()).hasSize(11);
            // the batch, then the poison event alone: two attempts (the retry policy's), each of one event
            assertThat(calls.subList(1, calls.size())).containsExactly(List.of("poison#0"), List.of("poison#0"));
        }
    }

    @Test
    void tellsEachCallWhichAttemptAtItsEventsItIsAndStartsAgainAtOneForAnEventHandedAgain() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a", "b", "c"), 1);
            List<String> calls = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = batched("billing").withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                    .withBackoff(Duration.ofMillis(1), Duration.ofMillis(1)));
            try (Processor p = Processor.startPartialBatched(log, cfg, (events, attempt) -> {
                calls.add(names(events) + "@" + attempt);
                if (events.size() > 1 && attempt == 1) {
                    throw new IllegalStateException("the shared work failed once");   // retried whole
                }
                if (events.size() > 1) {
                    return BatchOutcome.handAgainAlone(events.subList(1, 2));   // b goes again alone
                }
                if (attempt < 3) {
                    throw new IllegalStateException("b fails twice in its own call");
                }
                return BatchOutcome.completed();
            })) {
                await("every event committed", WAIT, () -> committed(log, "billing", tp) == 3);
                assertThat(p.failure()).isEmpty();
                assertThat(p.deadLetters().list()).isEmpty();
            }
            assertThat(calls).containsExactly("[a#0, b#0, c#0]@1", "[a#0, b#0, c#0]@2", "[b#0]@1", "[b#0]@2",
                    "[b#0]@3");
        }
    }

    @Test
    void handsTheLaterEventsOfANamedKeyAgainAfterItInOffsetOrder() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a", "b"), 3);   // a#0 b#0 a#1 b#1 a#2 b#2
            List<List<String>> calls = new CopyOnWriteArrayList<>();
            List<String> applied = new CopyOnWriteArrayList<>();
            try (Processor p = Processor.startPartialBatched(log, batched("billing"), (events, attempt) -> {
                calls.add(names(events));
                if (events.size() > 1) {
                    // a#1 is named; the contract says a#2 must not be applied either, and the processor brings it back
                    List<LogRecord> named = events.stream().filter(e -> key(e).equals("a") && seq(e) == 1).toList();
                    events.stream().filter(e -> !(key(e).equals("a") && seq(e) >= 1))
                            .forEach(e -> applied.add(key(e) + "#" + seq(e)));
                    return BatchOutcome.handAgainAlone(named);
                }
                applied.add(names(events).getFirst());
                return BatchOutcome.completed();
            })) {
                await("every event committed", WAIT, () -> committed(log, "billing", tp) == 6);
                assertThat(p.failure()).isEmpty();
            }
            assertThat(calls).containsExactly(List.of("a#0", "b#0", "a#1", "b#1", "a#2", "b#2"),
                    List.of("a#1"), List.of("a#2"));
            assertThat(applied.stream().filter(n -> n.startsWith("a")).toList()).containsExactly("a#0", "a#1", "a#2");
        }
    }

    @Test
    void failsTheAttemptWhenACallOfOneEventLeavesItsOnlyEvent() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 1);
            List<List<String>> calls = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = batched("billing").withDeadLetter(DeadLetterPolicy.stopProcessor());
            try (Processor p = Processor.startPartialBatched(log, cfg, (events, attempt) -> {
                calls.add(names(events));
                return BatchOutcome.handAgainAlone(events);
            })) {
                await("the processor stopped", WAIT, () -> p.failure().isPresent());
                assertThat(p.failure().orElseThrow().cause()).hasMessageContaining("must complete it or throw");
            }
            assertThat(calls).containsExactly(List.of("a#0"), List.of("a#0"));   // two attempts, never looping
        }
    }

    @Test
    void countsAsProcessedOnlyTheEventsACallCompletedNotThoseItHandsAgain() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a", "b", "poison"), 3);   // a#1 named (a#2 goes back with it); poison#0..2
            ProcessorConfig cfg = batched("billing")
                    .withTelemetry(ProcessorTelemetry.defaults().withMeterRegistry(registry));
            try (Processor p = Processor.startPartialBatched(log, cfg, (events, attempt) -> {
                if (events.size() == 1) {
                    if (key(events.getFirst()).equals("poison")) {
                        throw new IllegalArgumentException("poison cannot be applied");
                    }
                    return BatchOutcome.completed();
                }
                return BatchOutcome.handAgainAlone(events.stream().filter(e -> key(e).equals("poison")
                        || (key(e).equals("a") && seq(e) == 1)).toList());
            })) {
                await("every event committed", WAIT, () -> committed(log, "billing", tp) == 9);
                assertThat(p.failure()).isEmpty();
                assertThat(p.deadLetters().list()).extracting(d -> key(d.original()))
                        .containsExactly("poison", "poison", "poison");
                // a#0 b#0..2 in the batch, then a#1 and a#2 alone: six; the dead-lettered poison events are not
                // processed (read before the stop, which removes the processor's meters)
                assertThat(registry.find("tributary.processor.events.processed").tag("group", "billing").counter()
                        .count()).isEqualTo(6);
            }
        }
    }

    @Test
    void blamesANameFromAnotherCallBeforeTheOnlyEventRuleInACallOfOneEvent() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 1);
            AtomicReference<LogRecord> earlier = new AtomicReference<>();
            ProcessorConfig cfg = batched("billing").withDeadLetter(DeadLetterPolicy.stopProcessor());
            try (Processor p = Processor.startPartialBatched(log, cfg, (events, attempt) -> {
                if (earlier.compareAndSet(null, events.getFirst())) {
                    return BatchOutcome.completed();
                }
                return BatchOutcome.handAgainAlone(List.of(earlier.get()));   // a record of the first call
            })) {
                await("a#0 committed", WAIT, () -> committed(log, "billing", new TopicPartition("orders", 0)) == 1);
                produce(log, "orders", List.of("b"), 1);
                await("the processor stopped", WAIT, () -> p.failure().isPresent());
                assertThat(p.failure().orElseThrow().cause()).hasMessageContaining("orders/0@0")
                        .hasMessageContaining("is not in its call");
            }
        }
    }
}
