package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.produceToPartition;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The dead-letter queue on the real embedded log: error headers, sequenced parking, operator actions, restarts. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadLetterQueueTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    /** One attempt, so a poison event is dead-lettered at once; actions are picked up quickly. */
    private static ProcessorConfig config(DeadLetterPolicy policy) {
        return Fixtures.config("billing", "orders").withRetry(RetryPolicy.noRetries())
                .withDeadLetter(policy.withActionCheckInterval(Duration.ofMillis(10)));
    }

    private static ProcessorConfig config() {
        return config(DeadLetterPolicy.sequenced());
    }

    /** The embedded log in this test's directory with the topic {@code orders} of {@code partitions} partitions. */
    private EventLog ordersLog(int partitions) {
        EventLog log = openLog(dir);
        try {
            createTopic(log, "orders", partitions);
            return log;
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /** Handled events per key, in handling order. */
    static final class Handled {
        final Map<String, List<Integer>> byKey = new ConcurrentHashMap<>();

        void add(LogRecord e) {
            byKey.computeIfAbsent(key(e), k -> Collections.synchronizedList(new ArrayList<>())).add(seq(e));
        }

        List<Integer> of(String key) {
            return List.copyOf(byKey.getOrDefault(key, List.of()));
        }

        int count(String key) {
            return byKey.getOrDefault(key, List.of()).size();
        }
    }

    private static List<LogRecord> readTopic(EventLog log, String topic) {
        List<LogRecord> out = new ArrayList<>();
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            List<TopicPartition> tps = IntStream.range(0, c.partitionCount(topic))
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                out.addAll(c.poll(Duration.ofMillis(100)));
            }
        }
        return out;
    }

    private static List<Integer> seqs(List<DeadLetter> letters) {
        return letters.stream().map(d -> seq(d.original())).toList();
    }

    @Test
    void sendsAPoisonEventToTheDeadLetterTopicWithEveryErrorHeaderWhileOtherKeysAndPartitionsContinue()
            throws Exception {
        try (EventLog log = ordersLog(2)) {
            produceToPartition(log, "orders", "a", 5);  // partition 0, offsets 0..4; seq 2 is poison
            produce(log, "orders", List.of("b", "c", "d", "e"), 20);
            Handled handled = new Handled();
            long before = System.currentTimeMillis();
            try (Processor p = Processor.start(log, config(DeadLetterPolicy.unsequenced()), e -> {
                if (key(e).equals("a") && seq(e) == 2) {
                    throw new IllegalStateException("cannot charge order #2");
                }
                handled.add(e);
            })) {
                await("every other event handled", WAIT, () -> handled.byKey.values().stream()
                        .mapToInt(List::size).sum() == 4 + 80);
                TopicPartition p0 = new TopicPartition("orders", 0);
                long end0 = log.admin().describeTopic("orders").partitions().get(0).endOffset();
                await("partition 0 committed past the poison event", WAIT,
                        () -> committed(log, "billing", p0) == end0);
                assertThat(handled.of("a")).containsExactly(0, 1, 3, 4);
                for (String k : List.of("b", "c", "d", "e")) {
                    assertThat(handled.of(k)).as(k).isEqualTo(IntStream.range(0, 20).boxed().toList());
                }
                assertThat(p.failure()).isEmpty();
                assertThat(p.state()).isEqualTo(ProcessorState.RUNNING);
                assertThat(p.deadLetterDepth()).isEqualTo(1);
                assertThat(p.parkedKeyCount()).isZero();
            }
            assertThat(log.admin().describeTopic("billing.dlq").partitionCount()).isEqualTo(2);
            List<LogRecord> dlq = readTopic(log, "billing.dlq");
            assertThat(dlq).hasSize(1);
            LogRecord r = dlq.getFirst();
            assertThat(r.partition()).isZero();
            assertThat(key(r)).isEqualTo("a");
            assertThat(seq(r)).isEqualTo(2);
            Headers h = r.headers();
            assertThat(h.lastString(DeadLetterHeaders.ENTRY_ID)).contains("orders-0@2");
            assertThat(h.lastString(DeadLetterHeaders.STATUS)).contains("dead");
            assertThat(h.lastString(DeadLetterHeaders.PROCESSOR)).contains("billing");
            assertThat(h.lastString(DeadLetterHeaders.ORIGINAL_TOPIC)).contains("orders");
            assertThat(h.lastString(DeadLetterHeaders.ORIGINAL_PARTITION)).contains("0");
            assertThat(h.lastString(DeadLetterHeaders.ORIGINAL_OFFSET)).contains("2");
            assertThat(h.lastString(DeadLetterHeaders.EXCEPTION_CLASS)).contains(IllegalStateException.class.getName());
            assertThat(h.lastString(DeadLetterHeaders.EXCEPTION_MESSAGE)).contains("cannot charge order #2");
            assertThat(h.lastString(DeadLetterHeaders.ATTEMPTS)).contains("1");
            Instant first = Instant.parse(h.lastString(DeadLetterHeaders.FIRST_FAILURE_AT).orElseThrow());
            Instant last = Instant.parse(h.lastString(DeadLetterHeaders.LAST_FAILURE_AT).orElseThrow());
            assertThat(first).isAfterOrEqualTo(Instant.ofEpochMilli(before).minusMillis(1)).isBeforeOrEqualTo(last);

            DeadLetter d = DeadLetters.of(log, "billing").inspect("orders-0@2");
            assertThat(d.status()).isEqualTo(DeadLetter.Status.DEAD);
            assertThat(d.failure().orElseThrow().message()).isEqualTo("cannot charge order #2");
            assertThat(d.original().offset()).isEqualTo(2);
        }
    }

    @Test
    void recordsFirstAndLastFailureTimesAndEveryAttemptOfARetriedEvent() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 1);
            ProcessorConfig cfg = config().withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                    .withBackoff(Duration.ofMillis(30), Duration.ofMillis(30)).withJitter(0));
            try (Processor p = Processor.start(log, cfg, e -> {
                throw new IllegalStateException("down");
            })) {
                await("dead-lettered", WAIT, () -> p.deadLetterDepth() == 1);
            }
            DeadLetter.Failure f = DeadLetters.of(log, "billing").inspect("orders-0@0").failure().orElseThrow();
            assertThat(f.attempts()).isEqualTo(3);
            assertThat(Duration.between(f.firstFailureAt(), f.lastFailureAt())).isGreaterThanOrEqualTo(
                    Duration.ofMillis(50));
        }
    }

    @Test
    void parksLaterEventsOfADeadLetteredKeyAndRedriveReleasesThemInOrder() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produce(log, "orders", List.of("a", "b"), 6); // a and b interleaved; a#1 is poison until fixed
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (key(e).equals("a") && seq(e) == 1 && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(e);
            })) {
                await("b handled and a parked", WAIT, () -> handled.count("b") == 6 && p.deadLetterDepth() == 5);
                assertThat(handled.of("a")).containsExactly(0);
                assertThat(p.parkedKeyCount()).isEqualTo(1);
                TopicPartition tp = new TopicPartition("orders", 0);
                await("committed past the parked events", WAIT, () -> committed(log, "billing", tp) == 12);

                // A new event of the key is parked behind too, not handled.
                produce(log, "orders", List.of("a"), 6, 7);
                await("the new event parked", WAIT, () -> p.deadLetterDepth() == 6);
                List<DeadLetter> letters = p.deadLetters().list();
                assertThat(seqs(letters)).containsExactly(1, 2, 3, 4, 5, 6);
                assertThat(letters.getFirst().status()).isEqualTo(DeadLetter.Status.DEAD);
                assertThat(letters.subList(1, 6)).allSatisfy(d -> {
                    assertThat(d.status()).isEqualTo(DeadLetter.Status.PARKED);
                    assertThat(d.parkedBehind()).contains("orders-0@2");
                    assertThat(d.failure()).isEmpty();
                });
                assertThat(handled.of("a")).containsExactly(0);

                fixed.set(true);
                DeadLetterAction action = p.deadLetters().redrive(DeadLetterSelection.key("a"));
                assertThat(action.entries()).isEqualTo(6);
                await("key a redriven", WAIT, () -> handled.count("a") == 7);
                assertThat(handled.of("a")).containsExactly(0, 1, 2, 3, 4, 5, 6);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
                assertThat(p.parkedKeyCount()).isZero();
                assertThat(p.deadLetters().list()).isEmpty();

                // The key flows normally again.
                produce(log, "orders", List.of("a"), 7, 9);
                await("new events of a handled", WAIT, () -> handled.count("a") == 9);
                assertThat(handled.of("a")).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8);
                assertThat(p.deadLetterDepth()).isZero();
            }
        }
    }

    /**
     * The desk keeps its counts as entries come and go and skips partitions it found nothing to start on until
     * something changes (it used to count every entry after each task and look at every dead key each dispatch
     * round): the counts must stay exact through ordinary traffic, and a redrive requested after a long idle stretch
     * must still be carried out on every partition.
     */
    @Test
    void manyDeadKeysKeepExactCountsThroughOtherTrafficAndAreAllRedrivenAfterALongIdleStretch() throws Exception {
        try (EventLog log = ordersLog(2)) {
            List<String> poison = IntStream.range(0, 100).mapToObj(i -> "p" + i).toList();
            List<String> good = IntStream.range(0, 20).mapToObj(i -> "g" + i).toList();
            produce(log, "orders", poison, 1);
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (key(e).startsWith("p") && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(e);
            })) {
                await("every poison key dead", WAIT, () -> p.deadLetterDepth() == 100);
                produce(log, "orders", good, 50);
                await("the other keys handled", WAIT,
                        () -> good.stream().allMatch(k -> handled.count(k) == 50));
                assertThat(p.deadLetterDepth()).isEqualTo(100);
                assertThat(p.parkedKeyCount()).isEqualTo(100);
                assertThat(poison).allSatisfy(k -> assertThat(handled.count(k)).isZero());

                // Each dead key gets one more event: parked behind its entry, one more entry per key.
                produce(log, "orders", poison, 1, 2);
                await("the new events parked", WAIT, () -> p.deadLetterDepth() == 200);
                assertThat(p.parkedKeyCount()).isEqualTo(100);

                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.all());
                await("every poison key redriven", WAIT, () -> poison.stream().allMatch(k -> handled.count(k) == 2));
                assertThat(poison).allSatisfy(k -> assertThat(handled.of(k)).containsExactly(0, 1));
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
                assertThat(p.parkedKeyCount()).isZero();
            }
        }
    }

    @Test
    void redrivingOnlyTheDeadEntryAlsoReleasesItsParkedFollowersInOrder() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 4);
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 0 && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(e);
            })) {
                await("a dead with 3 parked", WAIT, () -> p.deadLetterDepth() == 4);
                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.entry("orders-0@0"));
                await("all of a handled", WAIT, () -> handled.count("a") == 4);
                assertThat(handled.of("a")).containsExactly(0, 1, 2, 3);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
            }
        }
    }

    @Test
    void aRedrivenEntryThatFailsAgainIsDeadAgainWithItsAttemptsAddedUpAndKeepsItsFollowersParked() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 3);
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 0) {
                    throw new IllegalStateException("still broken");
                }
                handled.add(e);
            })) {
                await("a dead with 2 parked", WAIT, () -> p.deadLetterDepth() == 3);
                Instant firstFailure = p.deadLetters().inspect("orders-0@0").failure().orElseThrow().firstFailureAt();
                p.deadLetters().redrive(DeadLetterSelection.entry("orders-0@0"));
                await("dead again after the redrive", WAIT, () -> p.deadLetters().inspect("orders-0@0").failure()
                        .orElseThrow().attempts() == 2);
                DeadLetter again = p.deadLetters().inspect("orders-0@0");
                assertThat(again.status()).isEqualTo(DeadLetter.Status.DEAD);
                assertThat(again.failure().orElseThrow().firstFailureAt()).isEqualTo(firstFailure);
                assertThat(again.pendingAction()).isEmpty();
                assertThat(p.deadLetters().list()).hasSize(3);
                assertThat(handled.of("a")).isEmpty();
            }
        }
    }

    @Test
    void skipGivesUpOnTheDeadEntryAndHandsItsParkedFollowersToTheHandler() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 4);
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 1) {
                    throw new IllegalStateException("never works");
                }
                handled.add(e);
            })) {
                await("a#1 dead with 2 parked", WAIT, () -> p.deadLetterDepth() == 3);
                DeadLetterAction skip = p.deadLetters().skip(DeadLetterSelection.key("a"));
                assertThat(skip.kind()).isEqualTo(DeadLetterAction.Kind.SKIP);
                await("followers handled", WAIT, () -> handled.count("a") == 3);
                assertThat(handled.of("a")).containsExactly(0, 2, 3);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
            }
            List<String> closing = readTopic(log, "billing.dlq").stream()
                    .filter(r -> r.value() == null)
                    .map(r -> r.headers().lastString(DeadLetterHeaders.STATUS).orElseThrow()).toList();
            assertThat(closing).containsExactly("skipped", "redriven", "redriven");
        }
    }

    @Test
    void purgeDropsDeadAndParkedEntriesUnhandledAndTheKeyMovesOn() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produce(log, "orders", List.of("a", "b"), 3);
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 0) {
                    throw new IllegalStateException("poison");
                }
                handled.add(e);
            })) {
                await("both keys dead with followers parked", WAIT, () -> p.deadLetterDepth() == 6);
                assertThat(p.parkedKeyCount()).isEqualTo(2);
                p.deadLetters().purge(DeadLetterSelection.key("a"));
                await("a purged", WAIT, () -> p.deadLetterDepth() == 3);
                assertThat(p.parkedKeyCount()).isEqualTo(1);
                p.deadLetters().purge(DeadLetterSelection.all());
                await("all purged", WAIT, () -> p.deadLetterDepth() == 0);
                assertThat(handled.byKey).isEmpty();
                produce(log, "orders", List.of("a", "b"), 3, 4);
                await("the keys move on", WAIT, () -> handled.count("a") == 1 && handled.count("b") == 1);
            }
        }
    }

    @Test
    void skipAndPurgeOfOneParkedEntryDropOnlyThatEntry() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 4);
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 0 && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(e);
            })) {
                await("a dead with 3 parked", WAIT, () -> p.deadLetterDepth() == 4);
                p.deadLetters().skip(DeadLetterSelection.entry("orders-0@1"));
                p.deadLetters().purge(DeadLetterSelection.entry("orders-0@2"));
                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.key("a"));
                await("the rest handled", WAIT, () -> handled.count("a") == 2);
                assertThat(handled.of("a")).containsExactly(0, 3);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
            }
        }
    }

    @Test
    void parkingSurvivesAProcessorRestart() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 2);
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            EventHandler handler = e -> {
                if (seq(e) == 0 && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(e);
            };
            try (Processor p = Processor.start(log, config(), handler)) {
                await("a#0 dead, a#1 parked", WAIT, () -> p.deadLetterDepth() == 2);
            }
            try (Processor p = Processor.start(log, config(), handler)) {
                await("parking rebuilt on start", WAIT, () -> p.parkedKeyCount() == 1);
                produceToPartition(log, "orders", "a", 2); // seqs 0 and 1 again at offsets 2 and 3
                await("new events parked", WAIT, () -> p.deadLetterDepth() == 4);
                assertThat(handled.byKey).isEmpty();
                assertThat(p.deadLetters().list()).extracting(DeadLetter::id)
                        .containsExactly("orders-0@0", "orders-0@1", "orders-0@2", "orders-0@3");
            }
            // Requested while no processor runs: carried out at the next start.
            p2Redrive(log);
            fixed.set(true);
            try (Processor p = Processor.start(log, config(), handler)) {
                await("redriven at start", WAIT, () -> handled.count("a") == 4);
                assertThat(handled.of("a")).containsExactly(0, 1, 0, 1);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
            }
        }
    }

    private static void p2Redrive(EventLog log) {
        DeadLetterAction a = DeadLetters.of(log, "billing").redrive(DeadLetterSelection.all());
        assertThat(a.entries()).isEqualTo(4);
        assertThat(DeadLetters.of(log, "billing").list()).allSatisfy(d ->
                assertThat(d.pendingAction()).hasValueSatisfying(x -> assertThat(x.id()).isEqualTo(a.id())));
    }

    @Test
    void rejectsRedrivingAParkedEntryAheadOfTheDeadEntryItWaitsBehind() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 2);
            try (Processor p = Processor.start(log, config(), e -> {
                if (seq(e) == 0) {
                    throw new IllegalStateException("bug");
                }
            })) {
                await("a#0 dead, a#1 parked", WAIT, () -> p.deadLetterDepth() == 2);
                assertThatThrownBy(() -> p.deadLetters().redrive(DeadLetterSelection.entry("orders-0@1")))
                        .isInstanceOf(InvalidRequestException.class)
                        .hasMessageContaining("orders-0@1").hasMessageContaining("parked behind dead entry orders-0@0")
                        .hasMessageContaining("--key");
                assertThatThrownBy(() -> p.deadLetters().skip(DeadLetterSelection.entry("orders-0@9")))
                        .isInstanceOf(NotFoundException.class).hasMessageContaining("orders-0@9")
                        .hasMessageContaining("tributary dlq list billing");
                assertThatThrownBy(() -> p.deadLetters().purge(DeadLetterSelection.key("zzz")))
                        .isInstanceOf(NotFoundException.class).hasMessageContaining("key 'zzz'");
            }
        }
    }

    @Test
    void unsequencedModeLetsTheKeyContinuePastADeadEntry() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produceToPartition(log, "orders", "a", 4);
            AtomicBoolean fixed = new AtomicBoolean();
            List<Integer> handled = new CopyOnWriteArrayList<>();
            try (Processor p = Processor.start(log, config(DeadLetterPolicy.unsequenced()), e -> {
                if (seq(e) == 1 && !fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                handled.add(seq(e));
            })) {
                await("the key continued", WAIT, () -> handled.size() == 3);
                assertThat(handled).containsExactly(0, 2, 3);
                assertThat(p.parkedKeyCount()).isZero();
                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.all());
                await("the dead entry redriven", WAIT, () -> handled.size() == 4);
                assertThat(handled).containsExactly(0, 2, 3, 1);
                await("the queue empty", WAIT, () -> p.deadLetterDepth() == 0);
            }
        }
    }

    @Test
    void aFailedBatchDeadLettersEachOfItsEventsAndParksTheirKeys() throws Exception {
        try (EventLog log = ordersLog(1)) {
            produce(log, "orders", List.of("a", "b"), 2);
            AtomicBoolean fixed = new AtomicBoolean();
            Handled handled = new Handled();
            ProcessorConfig cfg = config().withBatching(100, 1 << 20, Duration.ofMillis(50));
            try (Processor p = Processor.startBatched(log, cfg, events -> {
                if (!fixed.get()) {
                    throw new IllegalStateException("batch failed");
                }
                events.forEach(handled::add);
            })) {
                await("every event in the queue", WAIT, () -> p.deadLetterDepth() == 4);
                assertThat(p.deadLetters().list()).allSatisfy(d -> assertThat(d.status())
                        .isEqualTo(DeadLetter.Status.DEAD));
                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.all());
                await("all redriven", WAIT, () -> handled.count("a") == 2 && handled.count("b") == 2);
                assertThat(handled.of("a")).containsExactly(0, 1);
                assertThat(handled.of("b")).containsExactly(0, 1);
            }
        }
    }

    @Test
    void usesAConfiguredDeadLetterTopicAndRedrivesTheOriginalHeaders() throws Exception {
        try (EventLog log = ordersLog(1)) {
            try (LogProducer producer = log.producer()) {
                producer.append("orders", Record.of("a".getBytes(StandardCharsets.UTF_8),
                        "0".getBytes(StandardCharsets.UTF_8), Headers.empty().with("tenant", "acme"))).join();
            }
            AtomicBoolean fixed = new AtomicBoolean();
            List<Headers> seen = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = config(DeadLetterPolicy.sequenced().withTopic("billing-poison"));
            try (Processor p = Processor.start(log, cfg, e -> {
                if (!fixed.get()) {
                    throw new IllegalStateException("bug");
                }
                seen.add(e.headers());
            })) {
                await("dead-lettered", WAIT, () -> p.deadLetterDepth() == 1);
                assertThat(log.admin().topicExists("billing-poison")).isTrue();
                assertThat(log.admin().topicExists("billing.dlq")).isFalse();
                assertThat(p.deadLetters().topic()).isEqualTo("billing-poison");
                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.all());
                await("redriven", WAIT, () -> seen.size() == 1);
                assertThat(seen.getFirst()).isEqualTo(Headers.empty().with("tenant", "acme"));
            }
        }
    }
}
