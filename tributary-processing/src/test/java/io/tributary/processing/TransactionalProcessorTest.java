package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly-once consume-transform-produce on the in-JVM Kafka broker: outputs and consumed offsets commit in one
 * transaction, so {@code read_committed} consumers see each output once, after an aborted transaction and after the
 * processor was killed mid-transaction and restarted.
 */
@Tag("slow")
@Timeout(180)
class TransactionalProcessorTest {

    @TempDir
    Path dir;

    static ProcessorConfig config(String name, String topic) {
        return ProcessorConfig.of(name, topic).withRevokeTimeout(Duration.ofSeconds(1))
                .withShutdownTimeout(Duration.ofSeconds(10))
                .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(10), Duration.ofMillis(50)))
                .withConsumer(ConsumerConfig.defaults().withMaxPollRecords(20).withSessionTimeout(Duration.ofSeconds(3))
                        .withHeartbeatInterval(Duration.ofMillis(500)));
    }

    static Record output(LogRecord event) {
        return Record.of(event.key(), ("out-" + new String(event.value(), StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8));
    }

    private static void produce(EventLog log, String topic, int count) throws Exception {
        try (LogProducer producer = log.producer()) {
            List<CompletableFuture<?>> acks = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                acks.add(producer.append(topic, Record.of(("k" + i % 10).getBytes(StandardCharsets.UTF_8),
                        ("e" + i).getBytes(StandardCharsets.UTF_8))));
            }
            CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        }
    }

    /** Reads {@code topic} from the beginning until {@code atLeast} records arrived, then for one more second. */
    private static List<LogRecord> readAll(EventLog log, String topic, boolean readCommitted, int atLeast)
            throws InterruptedException {
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withReadCommitted(readCommitted))) {
            int n = c.partitionCount(topic);
            c.assign(IntStream.range(0, n).mapToObj(p -> new TopicPartition(topic, p)).toList());
            List<LogRecord> out = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (out.size() < atLeast && System.nanoTime() < deadline) {
                out.addAll(c.poll(Duration.ofMillis(200)));
            }
            long settle = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < settle) {
                out.addAll(c.poll(Duration.ofMillis(100)));
            }
            return out;
        }
    }

    private static void assertEachOutputOnceInKeyOrder(List<LogRecord> outputs, int events) {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, List<Integer>> byKey = new HashMap<>();
        for (LogRecord r : outputs) {
            String v = new String(r.value(), StandardCharsets.UTF_8);
            counts.merge(v, 1, Integer::sum);
            byKey.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                    .add(Integer.parseInt(v.substring(5)));
        }
        assertThat(counts).as("one output per event").hasSize(events);
        assertThat(counts.entrySet()).as("no output twice").allMatch(e -> e.getValue() == 1);
        byKey.forEach((k, seq) -> assertThat(seq).as("order of key %s", k).isSorted());
    }

    @Test
    void outputsEachEventOnceWithItsOffsetsEvenWhenATransactionAborts() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String in = KafkaLogs.unique("tx-in");
            String out = KafkaLogs.unique("tx-out");
            String name = KafkaLogs.unique("tx-proc");
            log.admin().createTopic(NewTopic.of(in, 3));
            log.admin().createTopic(NewTopic.of(out, 3));
            produce(log, in, 300);
            AtomicBoolean failed = new AtomicBoolean();
            try (TransactionalProcessor p = TransactionalProcessor.start(log, config(name, in), "0", (event, emit) -> {
                emit.emit(out, output(event));
                if (new String(event.value(), StandardCharsets.UTF_8).equals("e150") && failed.compareAndSet(false, true)) {
                    throw new IllegalStateException("transient failure on e150");
                }
            })) {
                List<LogRecord> committed = readAll(log, out, true, 300);
                assertThat(failed).as("the transaction of e150 was aborted once").isTrue();
                assertEachOutputOnceInKeyOrder(committed, 300);
                Fixtures.await("consumed offsets committed", Duration.ofSeconds(30),
                        () -> log.admin().describeGroup(name).totalLag() == 0);
                assertThat(p.failure()).isEmpty();
                assertThat(p.committedTransactions()).isGreaterThan(1);
            }
        }
    }

    @Test
    void transformsOnlyTheEventsTheFilterAcceptsAndCommitsTheFilteredOffsetsWithThem() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String in = KafkaLogs.unique("filter-in");
            String out = KafkaLogs.unique("filter-out");
            String name = KafkaLogs.unique("filter-proc");
            log.admin().createTopic(NewTopic.of(in, 3));
            log.admin().createTopic(NewTopic.of(out, 3));
            produce(log, in, 100);
            List<String> transformed = new java.util.concurrent.CopyOnWriteArrayList<>();
            ProcessorConfig cfg = config(name, in)
                    .withEventFilter(e -> Integer.parseInt(valueOf(e).substring(1)) % 4 == 0);
            try (TransactionalProcessor p = TransactionalProcessor.start(log, cfg, "0", (event, emit) -> {
                transformed.add(valueOf(event));
                emit.emit(out, output(event));
            })) {
                Fixtures.await("every offset committed, the filtered ones too", Duration.ofSeconds(60),
                        () -> log.admin().describeGroup(name).totalLag() == 0);
                assertThat(p.failure()).isEmpty();
            }
            List<String> accepted = IntStream.range(0, 100).filter(i -> i % 4 == 0).mapToObj(i -> "e" + i).toList();
            assertThat(transformed).containsExactlyInAnyOrderElementsOf(accepted);
            assertThat(readAll(log, out, true, 25)).extracting(TransactionalProcessorTest::valueOf)
                    .containsExactlyInAnyOrderElementsOf(accepted.stream().map(v -> "out-" + v).toList());
        }
    }

    @Test
    void stopsNamingTheFilterAndTheEventWhenTheFilterThrowsInsteadOfReadingTheEventsAgain() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String in = KafkaLogs.unique("badfilter-in");
            String out = KafkaLogs.unique("badfilter-out");
            String name = KafkaLogs.unique("badfilter-proc");
            log.admin().createTopic(NewTopic.of(in, 1));
            log.admin().createTopic(NewTopic.of(out, 1));
            produce(log, in, 10);
            ProcessorConfig cfg = config(name, in).withEventFilter(new java.util.function.Predicate<LogRecord>() {
                @Override
                public boolean test(LogRecord e) {
                    if (valueOf(e).equals("e7")) {
                        throw new IllegalArgumentException("unreadable header");
                    }
                    return true;
                }

                @Override
                public String toString() {
                    return "header-check";
                }
            });
            try (TransactionalProcessor p = TransactionalProcessor.start(log, cfg, "0",
                    (event, emit) -> emit.emit(out, output(event)))) {
                Fixtures.await("the processor stopped", Duration.ofSeconds(60), () -> p.failure().isPresent());
                ProcessorFailure f = p.failure().orElseThrow();
                assertThat(f.message()).contains("event filter (header-check) threw on " + in + "/0@7")
                        .contains("unreadable header").doesNotContain("check that the topics");
                assertThat(f.offset()).hasValue(7);
            }
        }
    }

    static String valueOf(LogRecord event) {
        return new String(event.value(), StandardCharsets.UTF_8);
    }

    @Test
    void outputsEachEventOnceAfterTheProcessorWasKilledMidTransactionAndRestarted() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String in = KafkaLogs.unique("kill-in");
            String out = KafkaLogs.unique("kill-out");
            String name = KafkaLogs.unique("kill-proc");
            log.admin().createTopic(NewTopic.of(in, 2));
            log.admin().createTopic(NewTopic.of(out, 2));
            produce(log, in, 100);

            Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), TransactionalKillChild.class.getName(),
                    KafkaLogs.bootstrapServers(), in, out, name, "0", "45").redirectErrorStream(true).start();
            StringBuilder seen = new StringBuilder();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null && !line.startsWith("MID-TRANSACTION")) {
                    seen.append(line).append('\n');
                }
                assertThat(line).as("child output:\n%s", seen).startsWith("MID-TRANSACTION");
                child.destroyForcibly(); // SIGKILL with a transaction open
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            int writtenBeforeKill = readAll(log, out, false, 45).size();
            assertThat(writtenBeforeKill).as("the open transaction's outputs reached the broker").isGreaterThanOrEqualTo(45);
            assertThat(readAll(log, out, true, 0).size()).as("but only committed ones are visible")
                    .isLessThan(writtenBeforeKill);

            try (TransactionalProcessor p = TransactionalProcessor.start(log, config(name, in), "0",
                    (event, emit) -> emit.emit(out, output(event)))) {
                List<LogRecord> committed = readAll(log, out, true, 100);
                assertEachOutputOnceInKeyOrder(committed, 100);
                assertThat(readAll(log, out, false, 101).size()).as("aborted outputs stay in the log, invisible")
                        .isGreaterThan(100);
                Fixtures.await("consumed offsets committed", Duration.ofSeconds(30),
                        () -> log.admin().describeGroup(name).totalLag() == 0);
                assertThat(p.failure()).isEmpty();
            }
        }
    }

    @Test
    void anInstanceStartedWithTheSameInstanceIdFencesTheOldOneAndOutputsStayExactlyOnce() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String in = KafkaLogs.unique("fence-in");
            String out = KafkaLogs.unique("fence-out");
            String name = KafkaLogs.unique("fence-proc");
            log.admin().createTopic(NewTopic.of(in, 2));
            log.admin().createTopic(NewTopic.of(out, 2));
            produce(log, in, 50);
            TransformHandler handler = (event, emit) -> emit.emit(out, output(event));
            TransactionalProcessor old = TransactionalProcessor.start(log, config(name, in), "0", handler);
            try {
                assertThat(readAll(log, out, true, 50)).hasSize(50);
                try (TransactionalProcessor replacement = TransactionalProcessor.start(log, config(name, in), "0",
                        handler)) {
                    try (LogProducer producer = log.producer()) {
                        for (int i = 50; i < 100; i++) {
                            producer.append(in, Record.of(("k" + i % 10).getBytes(StandardCharsets.UTF_8),
                                    ("e" + i).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
                        }
                    }
                    assertEachOutputOnceInKeyOrder(readAll(log, out, true, 100), 100);
                    assertThat(old.awaitTermination(Duration.ofSeconds(30))).as("the fenced instance stops").isTrue();
                    assertThat(old.state()).isEqualTo(ProcessorState.FAILED);
                    assertThat(old.failure().orElseThrow().message()).contains("fenced this one")
                            .contains("its own instanceId");
                    assertThat(replacement.failure()).isEmpty();
                }
            } finally {
                old.close();
            }
        }
    }

    @Test
    void refusesABackendWithoutTransactionsSayingWhichCapabilityIsMissing() {
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 1);
            assertThatThrownBy(() -> TransactionalProcessor.start(log, config("p", "orders"), "0", (e, out) -> { }))
                    .isInstanceOf(InvalidRequestException.class)
                    .satisfies(e -> assertThat(((InvalidRequestException) e).code()).isEqualTo(ErrorCode.CAPABILITY_UNSUPPORTED))
                    .hasMessageContaining("TRANSACTIONS");
        }
    }
}
