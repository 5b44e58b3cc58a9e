package io.tributary.log.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

import io.tributary.core.ConflictException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerGroupMetadata;
import io.tributary.log.EventLog;
import io.tributary.log.GroupDescription;
import io.tributary.log.GroupMember;
import io.tributary.log.GroupState;
import io.tributary.log.KeyPartitioner;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.PartitionDescription;
import io.tributary.log.PartitionLag;
import io.tributary.log.ProducerConfig;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import io.tributary.log.TransactionalProducer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The EventLog conformance kit: what every backend of the {@link EventLog} API must do, as one abstract JUnit 5
 * suite. A backend passes it by extending it unchanged and supplying a factory:
 *
 * <pre>{@code
 * class KafkaLogConformanceTest extends EventLogConformanceKit {
 *     static final TestBroker BROKER = TestBroker.start();
 *
 *     @Override
 *     protected EventLog openLog() {
 *         return EventLogs.open(Map.of("tributary.log.backend", "kafka",
 *                 "tributary.log.kafka.bootstrap.servers", BROKER.bootstrapServers()));
 *     }
 *
 *     @Override
 *     protected Duration cleanerWait() {
 *         return Duration.ofSeconds(90);   // the broker's log cleaner runs every few seconds
 *     }
 * }
 * }</pre>
 *
 * <p><b>Lifecycle.</b> Each test opens a log with {@link #openLog()} and closes it with {@link #closeLog}. Every
 * topic and group a test creates has a name of its own ({@link #uniqueName}), so a backend may hand out logs on one
 * shared broker and never delete anything between tests.
 *
 * <p><b>Capabilities.</b> Tests of an optional feature ({@link Capability}) run in full when the backend declares
 * it; when it does not, the same test asserts that using the feature fails loudly with an
 * {@link InvalidRequestException} coded {@link ErrorCode#CAPABILITY_UNSUPPORTED}. Nothing is skipped silently.
 *
 * <p><b>Timing.</b> Waits are bounded by the hints {@link #groupSessionTimeout()}, {@link #rebalanceWait()},
 * {@link #cleanerWait()} and {@link #operationWait()}; every test has a {@link Timeout}. Tests of background work
 * (rebalances, retention, compaction) poll with a bounded wait instead of sleeping a fixed time.
 *
 * <p><b>On a Kafka broker</b> the kit's timings need broker settings a production cluster would not use:
 * {@code group.initial.rebalance.delay.ms=0}, {@code group.min.session.timeout.ms} at or below
 * {@link #groupSessionTimeout()}, {@code log.retention.check.interval.ms} and {@code log.cleaner.backoff.ms} of a
 * second or less (or raise {@link #cleanerWait()}), and {@link #crashMember} overridden, since a Kafka client keeps
 * heartbeating from its own thread after the application's thread dies.
 *
 * <p><b>Areas</b>, one nested class each: topics, producer, keys and partitions, consumer (seek, poll limits,
 * pause), consumer groups and rebalances, commits, group administration, retention, compaction, durability modes,
 * transactions, durability across reopen, capabilities, and the bad inputs of the API (every error code with a
 * message that names the thing and the fix). The commit-and-resume property test is a jqwik {@link Property} on
 * this class (it reports its seed in every run).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class EventLogConformanceKit {

    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String RUN_ID = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private static final int KIB = 1024;
    private static final int MIB = 1024 * 1024;

    /** The log of the current test, opened by {@link #openLog()} before it and closed after it. */
    protected EventLog log;
    private @Nullable LogProducer producer;
    private @Nullable EventLog producerOf;

    // ------------------------------------------------------------------------------------------------------------
    // What a backend supplies
    // ------------------------------------------------------------------------------------------------------------

    /**
     * A log to test against: fresh, or shared between tests (topic and group names never repeat). Called once
     * before each test, and by the property tests once per try.
     */
    protected abstract EventLog openLog();

    /** Releases a log from {@link #openLog()}; closes it by default. */
    protected void closeLog(EventLog log) {
        log.close();
    }

    /**
     * Whether {@link #reopenLog} is implemented. When false, the durability-across-reopen tests are reported as
     * aborted with the reason (they are not a {@link Capability}; an in-memory backend may truly lack them).
     */
    protected boolean canReopen() {
        return false;
    }

    /**
     * Closes {@code log} and opens the same log again (same data folder, same cluster), as after a restart.
     * Everything acknowledged before the close must be there.
     */
    protected EventLog reopenLog(EventLog log) {
        throw new IllegalStateException(getClass().getSimpleName() + " returned canReopen() = true but does not override reopenLog()");
    }

    /**
     * Makes a group member fall silent as if its process had died: no more heartbeats, no leave request. Runs on the
     * member's own polling thread; right after it, the kit ends that thread without closing the consumer (closing the
     * log does, at the end of the test). The default does nothing more, which suffices for in-process backends that
     * tie a member's liveness to its consumer and polling thread (the embedded engine stops heartbeating for a member
     * whose polling thread died with the consumer open). A backend whose heartbeats run elsewhere, like Kafka's
     * client with its own heartbeat thread, must override this, e.g. by stopping the proxy that the member's log
     * ({@link #crashableLog()}) talks through.
     */
    protected void crashMember(LogConsumer member) {
    }

    /**
     * The log the member that {@link #crashMember} will crash is created from; the same log by default. A backend
     * that crashes a member by cutting its connection returns a second log here (e.g. one whose traffic goes
     * through a proxy the test can stop); the kit closes it with {@link #closeLog} after the test.
     */
    protected EventLog crashableLog() {
        return log;
    }

    /** The session timeout the kit's group members use; a silent member is removed after about this long. */
    protected Duration groupSessionTimeout() {
        return Duration.ofSeconds(2);
    }

    /** The longest a group may take to settle after a member joins, leaves or times out. */
    protected Duration rebalanceWait() {
        return Duration.ofSeconds(20);
    }

    /** The longest retention or compaction may take to act on eligible segments; keep it under 4 minutes. */
    protected Duration cleanerWait() {
        return Duration.ofSeconds(45);
    }

    /** The longest an ordinary operation (reading what was appended, a long poll) may take. */
    protected Duration operationWait() {
        return Duration.ofSeconds(15);
    }

    /** Prefix of every topic and group name the kit creates. */
    protected String namePrefix() {
        return "tck";
    }

    // ------------------------------------------------------------------------------------------------------------
    // Lifecycle and helpers
    // ------------------------------------------------------------------------------------------------------------

    @BeforeEach
    void openTheLog() {
        log = openLog();
    }

    @AfterEach
    void closeTheLog() {
        closeProducer();
        if (log != null) {
            closeLog(log);
        }
    }

    private void closeProducer() {
        LogProducer p = producer;
        producer = null;
        if (p != null && producerOf == log) {
            p.close();
        }
        producerOf = null;
    }

    /** A topic or group name used by no other test in this run (nor, thanks to the run id, by an earlier run). */
    protected final String uniqueName(String purpose) {
        return namePrefix() + "-" + purpose + "-" + RUN_ID + "-" + NAMES.incrementAndGet();
    }

    protected final LogAdmin admin() {
        return log.admin();
    }

    protected final boolean declares(Capability capability) {
        return log.capabilities().contains(capability);
    }

    /**
     * True when the backend declares {@code capability}. Otherwise asserts that {@code use} fails loudly with
     * {@code CAPABILITY_UNSUPPORTED} naming the capability, and returns false: the caller's test then ends, having
     * checked the other half of the contract.
     */
    protected final boolean supportsOrFailsLoudly(Capability capability, ThrowingCallable use) {
        if (declares(capability)) {
            return true;
        }
        assertUnsupported(capability, use);
        return false;
    }

    static void assertUnsupported(Capability capability, ThrowingCallable use) {
        Throwable t = catchThrowable(use);
        assertThat(t).as("%s is not declared, so using it must fail loudly with CAPABILITY_UNSUPPORTED, never "
                + "silently do nothing", capability).isInstanceOf(InvalidRequestException.class);
        assertThat(((TributaryException) t).code()).isEqualTo(ErrorCode.CAPABILITY_UNSUPPORTED);
        assertThat(t.getMessage()).contains(capability.name());
    }

    /** Creates a topic and returns its name. */
    protected final String createTopic(String purpose, int partitions, Map<String, String> config) {
        String name = uniqueName(purpose);
        admin().createTopic(new NewTopic(name, partitions, TopicConfig.of(config)));
        return name;
    }

    protected final String createTopic(String purpose, int partitions) {
        return createTopic(purpose, partitions, Map.of());
    }

    /**
     * A whole second an hour ago: a base for tests that need chosen timestamps. Recent, so the default retention
     * (7 days) never deletes their records while they run, and in the past, so no broker rejects them as future.
     */
    protected static long anHourAgo() {
        return (System.currentTimeMillis() / 1000 - 3600) * 1000;
    }

    protected static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    protected static String text(byte @Nullable [] b) {
        return b == null ? "<null>" : new String(b, StandardCharsets.UTF_8);
    }

    protected static Record record(@Nullable String key, @Nullable String value) {
        return Record.of(key == null ? null : bytes(key), value == null ? null : bytes(value));
    }

    /** A value of exactly {@code size} bytes that starts with {@code label}. */
    protected static byte[] padded(String label, int size) {
        byte[] out = new byte[size];
        Arrays.fill(out, (byte) '.');
        byte[] l = bytes(label);
        System.arraycopy(l, 0, out, 0, Math.min(l.length, size));
        return out;
    }

    /** Waits for a future with {@link #operationWait()}, rethrowing a {@link TributaryException} as is. */
    protected final <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(operationWait().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new AssertionError("append failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("not acknowledged within " + operationWait(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /**
     * One producer of the current log, shared by the test's helper appends (a backend's producer may be costly to
     * start, e.g. Kafka's idempotent producer). Closed after the test; opened again if the test reopened the log.
     */
    protected final LogProducer producer() {
        if (producer == null || producerOf != log) {
            producer = log.producer(ProducerConfig.defaults().withClientId("tck-producer"));
            producerOf = log;
        }
        return producer;
    }

    /** Appends every record (pipelined: all calls first, then all acks) and returns the results in order. */
    protected final List<AppendResult> append(String topic, List<Record> records) {
        LogProducer p = producer();
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>(records.size());
        for (Record r : records) {
            futures.add(p.append(topic, r));
        }
        return futures.stream().map(this::await).toList();
    }

    /** Appends every record to one partition, pipelined. */
    protected final List<AppendResult> append(String topic, int partition, List<Record> records) {
        LogProducer p = producer();
        List<CompletableFuture<AppendResult>> futures = new ArrayList<>(records.size());
        for (Record r : records) {
            futures.add(p.append(topic, partition, r));
        }
        return futures.stream().map(this::await).toList();
    }

    protected static List<TopicPartition> partitionsOf(String topic, int count) {
        return IntStream.range(0, count).mapToObj(p -> new TopicPartition(topic, p)).toList();
    }

    /** Every stored record of the topic, read with an assigned consumer from the start to the current end. */
    protected final List<LogRecord> readAll(String topic) {
        int count = admin().describeTopic(topic).partitionCount();
        List<LogRecord> out = new ArrayList<>();
        for (TopicPartition tp : partitionsOf(topic, count)) {
            out.addAll(readPartition(tp));
        }
        return out;
    }

    /** Every stored record of one partition, in offset order. */
    protected final List<LogRecord> readPartition(TopicPartition tp) {
        try (LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("tck-reader"))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            List<LogRecord> out = new ArrayList<>();
            long deadline = System.nanoTime() + operationWait().toNanos();
            while (consumer.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    fail("reading " + tp + " stalled at position " + consumer.position(tp) + " below the end offset "
                            + end + " for " + operationWait() + " (read " + out.size() + " records)");
                }
                out.addAll(consumer.poll(Duration.ofMillis(200)));
            }
            return out;
        }
    }

    /** Polls {@code consumer} until {@code count} records arrived (or fails after {@link #operationWait()}). */
    protected final List<LogRecord> pollAtLeast(LogConsumer consumer, int count) {
        List<LogRecord> out = new ArrayList<>();
        long deadline = System.nanoTime() + operationWait().toNanos();
        while (out.size() < count) {
            if (System.nanoTime() > deadline) {
                fail("expected " + count + " records within " + operationWait() + " but polled only " + out.size()
                        + ": " + out);
            }
            out.addAll(consumer.poll(Duration.ofMillis(200)));
        }
        return out;
    }

    /** Waits, polling every 50 ms, until {@code condition} holds; fails naming {@code what} after {@code limit}. */
    protected static void eventually(Duration limit, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + limit + " for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /** Like {@link #eventually(Duration, String, BooleanSupplier)}, describing the last state seen on failure. */
    protected static <T> T eventually(Duration limit, String what, Supplier<T> probe, java.util.function.Predicate<T> done) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            T seen = probe.get();
            if (done.test(seen)) {
                return seen;
            }
            if (System.nanoTime() > deadline) {
                fail("waited " + limit + " for " + what + "; last seen: " + seen);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + what, e);
            }
        }
    }

    /**
     * Asserts {@code call} throws a {@link TributaryException} of kind {@code type} with {@code code}, whose message
     * mentions every one of {@code mentions} (case-insensitive): the thing named and the way out.
     */
    protected static TributaryException assertRejected(ThrowingCallable call, Class<? extends TributaryException> type,
                                                       ErrorCode code, String... mentions) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected %s with code %s, thrown by the call itself", type.getSimpleName(), code)
                .isNotNull()
                .isInstanceOf(TributaryException.class);
        TributaryException e = (TributaryException) t;
        assertThat(e.code()).as("error code of: %s", e).isEqualTo(code);
        assertThat(e).as("kind of: %s", e).isInstanceOf(type);
        for (String m : mentions) {
            if (m.matches("-?[0-9]+")) {
                // A number must stand on its own, not hide inside a topic name such as 'tck-orders-3'.
                assertThat(e.getMessage()).as("the message should mention the number %s so the user knows what to do", m)
                        .containsPattern("(?<![A-Za-z0-9_.\\-])" + java.util.regex.Pattern.quote(m) + "(?![A-Za-z0-9_])");
            } else {
                assertThat(e.getMessage()).as("the message should mention '%s' so the user knows what to do", m)
                        .containsIgnoringCase(m);
            }
        }
        return e;
    }

    protected final ConsumerConfig memberConfig(String groupId, String clientId) {
        return ConsumerConfig.forGroup(groupId).withClientId(clientId).withSessionTimeout(groupSessionTimeout());
    }

    // ------------------------------------------------------------------------------------------------------------
    // Topics
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("topics")
    class Topics {

        @Test
        void createsATopicWhosePartitionsStartEmptyAtOffsetZero() {
            String name = uniqueName("orders");
            TopicDescription created = admin().createTopic(new NewTopic(name, 3,
                    TopicConfig.of(Map.of(TopicConfig.MAX_MESSAGE_BYTES, "20000"))));

            assertThat(created.name()).isEqualTo(name);
            assertThat(created.partitionCount()).isEqualTo(3);
            TopicDescription described = admin().describeTopic(name);
            assertThat(described.partitions()).extracting(PartitionDescription::partition).containsExactly(0, 1, 2);
            assertThat(described.partitions()).allSatisfy(p -> {
                assertThat(p.startOffset()).isZero();
                assertThat(p.endOffset()).isZero();
            });
            assertThat(described.config().overrides()).containsEntry(TopicConfig.MAX_MESSAGE_BYTES, "20000");
            assertThat(described.config().maxMessageBytes()).isEqualTo(20000);
            assertThat(admin().topicExists(name)).isTrue();
        }

        @Test
        void listsTopicsSortedByName() {
            String b = uniqueName("list-b");
            String a = uniqueName("list-a");
            admin().createTopic(NewTopic.of(b, 1));
            admin().createTopic(NewTopic.of(a, 1));

            List<String> topics = admin().listTopics();
            assertThat(topics).contains(a, b);
            assertThat(topics).isSorted();
        }

        @Test
        void describesEndOffsetsAndSizeAfterAppends() {
            String topic = createTopic("extent", 2);
            append(topic, 0, List.of(record("k", "v1"), record("k", "v2"), record("k", "v3")));
            append(topic, 1, List.of(record("k", "v4")));

            TopicDescription d = admin().describeTopic(topic);
            assertThat(d.partitions().get(0).endOffset()).isEqualTo(3);
            assertThat(d.partitions().get(1).endOffset()).isEqualTo(1);
            assertThat(d.recordCountEstimate()).isEqualTo(4);
            assertThat(d.partitions()).allSatisfy(p -> assertThat(p.sizeBytes())
                    .as("size of partition %d: positive, or -1 where the backend cannot tell", p.partition())
                    .satisfiesAnyOf(s -> assertThat(s).isPositive(), s -> assertThat(s).isEqualTo(-1L)));
        }

        @Test
        void deletesATopicWithItsDataSoTheNameCanBeReused() {
            String topic = createTopic("doomed", 1);
            append(topic, List.of(record("k", "v")));

            admin().deleteTopic(topic);

            assertThat(admin().topicExists(topic)).isFalse();
            assertThat(admin().listTopics()).doesNotContain(topic);
            assertRejected(() -> admin().describeTopic(topic), NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, topic);
            eventually(operationWait(), "re-creating deleted topic " + topic, () -> {
                try {
                    admin().createTopic(NewTopic.of(topic, 1));
                    return true;
                } catch (TributaryException e) {
                    return false;
                }
            });
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset())
                    .as("a re-created topic starts empty").isZero();
        }

        @Test
        void altersTopicConfigKeepingTheOtherOverrides() {
            String topic = createTopic("alter", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "2000",
                    TopicConfig.SEGMENT_BYTES, String.valueOf(4 * MIB)));
            assertRejected(() -> append(topic, 0, List.of(Record.of(null, new byte[3000]))),
                    InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE);

            TopicDescription altered = admin().alterTopicConfig(topic, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "10000"));

            assertThat(altered.config().maxMessageBytes()).isEqualTo(10000);
            assertThat(altered.config().segmentBytes()).as("an override not named in the change stays").isEqualTo(4 * MIB);
            assertThat(admin().describeTopic(topic).config().maxMessageBytes()).isEqualTo(10000);
            AppendResult r = append(topic, 0, List.of(Record.of(null, new byte[3000]))).getFirst();
            assertThat(r.offset()).isZero();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Producer
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("producer")
    class Producer {

        @Test
        void assignsContiguousOffsetsFromZeroInEachPartition() {
            String topic = createTopic("contiguous", 3);
            List<AppendResult> results = new ArrayList<>();
            for (int p = 0; p < 3; p++) {
                int partition = p;
                results.addAll(append(topic, p, IntStream.range(0, 50)
                        .mapToObj(i -> record("k" + i, "p" + partition + "-" + i)).toList()));
            }

            for (int p = 0; p < 3; p++) {
                int partition = p;
                assertThat(results.stream().filter(r -> r.partition() == partition).map(AppendResult::offset))
                        .containsExactlyElementsOf(LongRange.of(0, 50));
                assertThat(readPartition(new TopicPartition(topic, p))).extracting(LogRecord::offset)
                        .containsExactlyElementsOf(LongRange.of(0, 50));
            }
            assertThat(results).allSatisfy(r -> assertThat(r.topic()).isEqualTo(topic));
        }

        @Test
        void keepsEachProducersOrderUnderConcurrentProducers() throws Exception {
            String topic = createTopic("concurrent", 2);
            int threads = 4;
            int perPartition = 300;
            LogProducer shared = log.producer();
            CountDownLatch go = new CountDownLatch(1);
            List<CompletableFuture<List<AppendResult>>> work = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                // Two threads share one producer, two have their own: both must keep each thread's order.
                LogProducer producer = t < 2 ? shared : log.producer(ProducerConfig.defaults().withClientId("tck-" + t));
                work.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    List<CompletableFuture<AppendResult>> acks = new ArrayList<>();
                    for (int seq = 0; seq < perPartition * 2; seq++) {
                        Record r = new Record(null, bytes("t" + thread + "-" + seq),
                                Headers.empty().with("thread", String.valueOf(thread)).with("seq", String.valueOf(seq)),
                                System.currentTimeMillis());
                        acks.add(producer.append(topic, seq % 2, r));
                    }
                    return acks.stream().map(EventLogConformanceKit.this::await).toList();
                }, runnable -> Thread.ofPlatform().daemon().start(runnable)));
            }
            go.countDown();
            List<List<AppendResult>> results = new ArrayList<>();
            for (CompletableFuture<List<AppendResult>> w : work) {
                results.add(w.get(operationWait().toMillis() * 2, TimeUnit.MILLISECONDS));
            }

            for (int t = 0; t < threads; t++) {
                for (int p = 0; p < 2; p++) {
                    int partition = p;
                    List<Long> offsets = results.get(t).stream().filter(r -> r.partition() == partition)
                            .map(AppendResult::offset).toList();
                    assertThat(offsets).as("acked offsets of thread %d in partition %d follow its call order", t, p)
                            .hasSize(perPartition).isSorted().doesNotHaveDuplicates();
                }
            }
            for (int p = 0; p < 2; p++) {
                List<LogRecord> stored = readPartition(new TopicPartition(topic, p));
                assertThat(stored).extracting(LogRecord::offset).as("partition %d offsets are contiguous from 0", p)
                        .containsExactlyElementsOf(LongRange.of(0, threads * perPartition));
                Map<String, List<Integer>> seqByThread = new TreeMap<>();
                for (LogRecord r : stored) {
                    seqByThread.computeIfAbsent(r.headers().lastString("thread").orElseThrow(), k -> new ArrayList<>())
                            .add(Integer.parseInt(r.headers().lastString("seq").orElseThrow()));
                }
                int partition = p;
                assertThat(seqByThread).hasSize(threads);
                seqByThread.forEach((thread, seqs) -> assertThat(seqs)
                        .as("thread %s's records in partition %d, in offset order", thread, partition)
                        .containsExactlyElementsOf(IntStream.range(0, perPartition * 2)
                                .filter(s -> s % 2 == partition).boxed().toList()));
            }
        }

        @Test
        void roundTripsKeysValuesHeadersTombstonesAndTimestampsByteForByte() {
            String topic = createTopic("roundtrip", 1);
            byte[] everyByte = new byte[256];
            for (int i = 0; i < 256; i++) {
                everyByte[i] = (byte) i;
            }
            long now = System.currentTimeMillis();
            List<Record> sent = List.of(
                    new Record(null, bytes("no key"), Headers.empty(), now),
                    new Record(new byte[0], new byte[0], Headers.empty(), now - 1),
                    new Record(everyByte, everyByte, Headers.empty(), 0),
                    new Record(bytes("tombstone"), null, Headers.empty(), 1),
                    new Record(bytes("headers"), bytes("v"), Headers.of(
                            Header.ofString("dup", "first"),
                            new Header("empty", new byte[0]),
                            Header.ofString("dup", "second"),
                            new Header("binary", everyByte),
                            Header.ofString("ünïcødé-name", "välue"),
                            Header.ofString("dup", "")), 1_000_000_000_000L),
                    new Record(bytes("ts"), bytes("old"), Headers.of(Header.ofString("a", "b")), now - 86_400_000L));

            List<AppendResult> acks = append(topic, 0, sent);
            List<LogRecord> stored = readPartition(new TopicPartition(topic, 0));

            assertThat(stored).hasSize(sent.size());
            for (int i = 0; i < sent.size(); i++) {
                LogRecord got = stored.get(i);
                Record want = sent.get(i);
                assertThat(got.toRecord()).as("record %d read back", i).isEqualTo(want);
                assertThat(got.headers().all()).as("headers of record %d, in order, repeats kept", i)
                        .containsExactlyElementsOf(want.headers().all());
                assertThat(acks.get(i).timestamp()).as("acked timestamp of record %d", i).isEqualTo(want.timestamp());
            }
            assertThat(stored.get(0).key()).as("an absent key stays absent").isNull();
            assertThat(stored.get(1).key()).as("an empty key stays an empty key").isNotNull().isEmpty();
            assertThat(stored.get(1).isTombstone()).as("an empty value is not a tombstone").isFalse();
            assertThat(stored.get(3).isTombstone()).isTrue();
            assertThat(stored.get(4).headers().all("dup")).extracting(Header::valueAsString)
                    .containsExactly("first", "second", "");
        }

        @Test
        void appendAllReturnsResultsInListOrder() {
            String topic = createTopic("batch", 4);
            List<Record> batch = IntStream.range(0, 40).mapToObj(i -> record("key-" + (i % 13), "v" + i)).toList();

            List<AppendResult> results = await(log.producer().appendAll(topic, batch));

            assertThat(results).hasSize(batch.size());
            Map<Integer, Long> lastOffset = new HashMap<>();
            for (int i = 0; i < batch.size(); i++) {
                AppendResult r = results.get(i);
                assertThat(r.topic()).isEqualTo(topic);
                assertThat(r.partition()).as("partition of record %d", i)
                        .isEqualTo(KeyPartitioner.partitionForKey(batch.get(i).key(), 4));
                Long previous = lastOffset.put(r.partition(), r.offset());
                if (previous != null) {
                    assertThat(r.offset()).as("record %d comes after the earlier ones of its partition", i)
                            .isGreaterThan(previous);
                }
            }
            for (int p = 0; p < 4; p++) {
                int partition = p;
                List<String> expected = IntStream.range(0, batch.size())
                        .filter(i -> results.get(i).partition() == partition).mapToObj(i -> "v" + i).toList();
                assertThat(readPartition(new TopicPartition(topic, p))).extracting(r -> text(r.value()))
                        .as("partition %d keeps list order", p).containsExactlyElementsOf(expected);
            }
        }

        @Test
        void flushWaitsUntilEveryEarlierAppendIsAcknowledged() {
            String topic = createTopic("flush", 2);
            LogProducer producer = log.producer();
            List<CompletableFuture<AppendResult>> acks = IntStream.range(0, 200)
                    .mapToObj(i -> producer.append(topic, record("k" + i, "v" + i))).toList();

            producer.flush();

            assertThat(acks).allSatisfy(f -> assertThat(f).isCompleted());
            assertThat(admin().describeTopic(topic).recordCountEstimate()).isEqualTo(200);
        }

        @Test
        void boundsUnacknowledgedBytesAndFailsRetriablyWhenTheBufferStaysFull() {
            String topic = createTopic("back-pressure", 1);
            long buffer = 64 * KIB;
            List<CompletableFuture<AppendResult>> accepted = new ArrayList<>();
            List<TributaryException> rejected = new ArrayList<>();
            int mostOutstanding = 0;
            try (LogProducer p = log.producer(ProducerConfig.defaults().withClientId("tck-back-pressure")
                    .withBufferMemoryBytes(buffer).withMaxBlock(Duration.ZERO))) {
                for (int i = 0; i < 3000; i++) {
                    int outstanding = 0;
                    for (int j = accepted.size() - 1; j >= 0 && j >= accepted.size() - 200; j--) {
                        outstanding += accepted.get(j).isDone() ? 0 : 1;
                    }
                    mostOutstanding = Math.max(mostOutstanding, outstanding);
                    try {
                        accepted.add(p.append(topic, 0, Record.of(null, padded("bp-" + i, KIB))));
                    } catch (TributaryException e) {
                        rejected.add(e);
                    }
                }
                accepted.forEach(f -> await(f));
            }

            assertThat(mostOutstanding).as("unacknowledged 1 KiB records at once, with bufferMemoryBytes=64 KiB")
                    .isLessThanOrEqualTo(64 + 8);
            assertThat(rejected).allSatisfy(e -> {
                assertThat(e.code()).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                assertThat(e.isRetriable()).as("a full buffer is worth retrying").isTrue();
                assertThat(e.getMessage()).contains("bufferMemoryBytes");
            });
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset())
                    .as("every accepted record is stored, no rejected one is").isEqualTo(accepted.size());
        }

        @Test
        void waitsForBufferSpaceUpToMaxBlockInsteadOfFailing() {
            String topic = createTopic("back-pressure-wait", 1);
            try (LogProducer p = log.producer(ProducerConfig.defaults().withClientId("tck-patient")
                    .withBufferMemoryBytes(16 * KIB).withMaxBlock(operationWait()))) {
                List<CompletableFuture<AppendResult>> acks = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    acks.add(p.append(topic, 0, Record.of(null, padded("wait-" + i, KIB))));
                }
                assertThat(acks.stream().map(f -> await(f)).map(AppendResult::offset))
                        .containsExactlyElementsOf(LongRange.of(0, 1000));
            }
        }

        @Test
        void rejectsAppendsAfterCloseWithClosed() {
            String topic = createTopic("closed", 1);
            LogProducer producer = log.producer();
            await(producer.append(topic, record("k", "v")));
            producer.close();
            producer.close(); // idempotent

            assertRejected(() -> producer.append(topic, record("k", "late")), TributaryException.class, ErrorCode.CLOSED);
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset()).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Callback appends
    // ------------------------------------------------------------------------------------------------------------

    /**
     * The callback form of append ({@link LogProducer#append(String, Record, AppendCallback)}): one call of the
     * callback per append, with the result or with every error (also those known before sending, which the
     * future-returning form throws), in append order per partition.
     */
    @Nested
    @DisplayName("callback appends")
    class CallbackAppends {

        @Test
        void callsBackOncePerRecordInAppendOrderPerPartitionWithWhereItLanded() {
            String topic = createTopic("callback-order", 3);
            int count = 600;
            Outcomes outcomes = new Outcomes();
            LogProducer p = producer();
            for (int i = 0; i < count; i++) {
                Record r = record("key-" + (i % 17), "v" + i);
                // Keyed, explicit partitions and futures mixed: one thread's order per partition holds across forms.
                switch (i % 3) {
                    case 0 -> p.append(topic, r, outcomes.forAppend(i));
                    case 1 -> p.append(topic, i % 2, r, outcomes.forAppend(i));
                    default -> p.append(topic, r).whenComplete(outcomes.forFuture());
                }
            }
            outcomes.awaitCount(count, operationWait());

            assertThat(outcomes.errors()).as("no append failed").isEmpty();
            assertThat(outcomes.repeatedIndexes()).as("appends called back more than once").isEmpty();
            Map<Integer, List<Long>> calledBackOffsets = new TreeMap<>();
            for (Outcome o : outcomes.inCallOrder()) {
                AppendResult r = Optional.ofNullable(o.result()).orElseThrow();
                assertThat(r.topic()).isEqualTo(topic);
                calledBackOffsets.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset());
            }
            for (int part = 0; part < 3; part++) {
                List<LogRecord> stored = readPartition(new TopicPartition(topic, part));
                assertThat(calledBackOffsets.getOrDefault(part, List.of()))
                        .as("partition %d: callbacks run in offset order, once per stored record", part)
                        .containsExactlyElementsOf(LongRange.of(0, stored.size()));
                for (Outcome o : outcomes.inCallOrder()) {
                    AppendResult r = Optional.ofNullable(o.result()).orElseThrow();
                    if (r.partition() == part && o.index() >= 0) {
                        assertThat(text(stored.get((int) r.offset()).value()))
                                .as("the record stored where the callback of append %d says it landed", o.index())
                                .isEqualTo("v" + o.index());
                    }
                }
            }
            outcomes.assertCountStill(count); // a late second call would have arrived while the partitions were read
        }

        @Test
        void deliversAnUnknownTopicToTheCallbackInsteadOfThrowing() {
            String unknown = uniqueName("absent");
            try (LogProducer p = log.producer()) {
                Outcomes outcomes = new Outcomes();
                p.append(unknown, record("k", "v"), outcomes.forAppend(0));
                outcomes.assertToldOnThisThread(0);
                p.append(unknown, 0, record("k", "v"), outcomes.forAppend(1));
                outcomes.assertToldOnThisThread(1);
                outcomes.awaitCount(2, operationWait());
                for (Outcome o : outcomes.inCallOrder()) {
                    assertCalledBackWith(o, NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown, "create");
                }
            }
            assertThat(admin().topicExists(unknown)).as("auto-create is off").isFalse();
        }

        @Test
        void deliversRecordsTooLargeAndPartitionsOutOfRangeToTheCallbackAndStoresNothing() {
            String topic = createTopic("callback-refused", 2, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000"));
            try (LogProducer p = log.producer()) {
                Outcomes outcomes = new Outcomes();
                p.append(topic, Record.of(bytes("k"), new byte[2000]), outcomes.forAppend(0));
                outcomes.assertToldOnThisThread(0);
                p.append(topic, 0, Record.of(bytes("k"), new byte[2000]), outcomes.forAppend(1));
                outcomes.assertToldOnThisThread(1);
                p.append(topic, 2, record("k", "v"), outcomes.forAppend(2));
                outcomes.assertToldOnThisThread(2);
                p.append(topic, -1, record("k", "v"), outcomes.forAppend(3));
                outcomes.assertToldOnThisThread(3);
                outcomes.awaitCount(4, operationWait());
                p.flush();
                outcomes.assertCountStill(4);

                List<Outcome> got = outcomes.inIndexOrder();
                assertCalledBackWith(got.get(0), InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE,
                        "max.message.bytes", "1000", topic);
                assertCalledBackWith(got.get(1), InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE,
                        "max.message.bytes", "1000", topic);
                assertCalledBackWith(got.get(2), InvalidRequestException.class, LogErrors.PARTITION_OUT_OF_RANGE,
                        topic, "2");
                assertCalledBackWith(got.get(3), InvalidRequestException.class, LogErrors.PARTITION_OUT_OF_RANGE,
                        topic, "-1");
            }
            assertThat(admin().describeTopic(topic).recordCountEstimate()).as("nothing stored").isZero();
        }

        @Test
        void deliversClosedToTheCallbackAfterClose() {
            String topic = createTopic("callback-closed", 1);
            LogProducer p = log.producer();
            Outcomes outcomes = new Outcomes();
            p.append(topic, record("k", "v"), outcomes.forAppend(0));
            p.close();
            p.append(topic, record("k", "late"), outcomes.forAppend(1));
            outcomes.assertToldOnThisThread(1);
            outcomes.awaitCount(2, operationWait());

            List<Outcome> got = outcomes.inIndexOrder();
            assertThat(got.get(0).error()).as("appended before close, acknowledged by close's flush").isNull();
            assertThat(Optional.ofNullable(got.get(0).result()).orElseThrow().offset()).isZero();
            assertCalledBackWith(got.get(1), TributaryException.class, ErrorCode.CLOSED);
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset()).isEqualTo(1);
        }

        @Test
        void aCallbackThatThrowsIsCalledOnceAndNeitherFailsTheAppendNorLaterOnes() {
            String topic = createTopic("callback-throws", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000"));
            try (LogProducer p = log.producer()) {
                Outcomes outcomes = Outcomes.thatThrowAfterRecording();
                // Refusals known before sending: the callback runs inside append, its throw must stay there.
                assertThatCode(() -> p.append(topic, Record.of(bytes("k"), new byte[2000]), outcomes.forAppend(0)))
                        .as("a callback's throw on a refusal is not append's").doesNotThrowAnyException();
                assertThatCode(() -> p.append(topic, 1, record("k", "v"), outcomes.forAppend(1)))
                        .as("a callback's throw on a refusal is not append's").doesNotThrowAnyException();
                assertThatCode(() -> p.append(uniqueName("absent"), record("k", "v"), outcomes.forAppend(2)))
                        .as("a callback's throw on a refusal is not append's").doesNotThrowAnyException();
                // Results: the callback throws on the completion thread.
                p.append(topic, record("k", "first"), outcomes.forAppend(3));
                p.append(topic, 0, record("k", "second"), outcomes.forAppend(4));
                outcomes.awaitCount(5, operationWait());

                assertThat(outcomes.inIndexOrder()).extracting(o -> o.error() == null)
                        .as("appends 0-2 refused, 3-4 stored").containsExactly(false, false, false, true, true);
                // The producer goes on: both forms still work after its callbacks threw.
                Outcomes later = new Outcomes();
                p.append(topic, record("k", "third"), later.forAppend(0));
                AppendResult fourth = await(p.append(topic, record("k", "fourth")));
                later.awaitCount(1, operationWait());
                assertThat(Optional.ofNullable(later.inCallOrder().getFirst().result()).orElseThrow().offset())
                        .isEqualTo(2);
                assertThat(fourth.offset()).isEqualTo(3);
                p.flush();
                assertThat(readPartition(new TopicPartition(topic, 0))).extracting(r -> text(r.value()))
                        .containsExactly("first", "second", "third", "fourth");
                outcomes.assertCountStill(5);
                later.assertCountStill(1);
            }
        }

        /**
         * The callback twin of {@code boundsUnacknowledgedBytesAndFailsRetriablyWhenTheBufferStaysFull}: a full
         * buffer after {@code maxBlock} is the one refusal that on Kafka reaches the callback through Kafka itself
         * (inside {@code send()}), so its wording must name {@code maxBlock} and the value that applied, not the
         * delivery timeout of a record that was queued. Also with a callback that throws: still one call each.
         */
        @ParameterizedTest(name = "callback throws: {0}")
        @ValueSource(booleans = {false, true})
        void deliversBufferFullToTheCallbackOnTheCallingThreadNamingMaxBlock(boolean callbackThrows) {
            String topic = createTopic("callback-back-pressure", 1);
            Outcomes outcomes = callbackThrows ? Outcomes.thatThrowAfterRecording() : new Outcomes();
            int appends = 0;
            int refused = 0;
            try (LogProducer p = log.producer(ProducerConfig.defaults().withClientId("tck-callback-back-pressure")
                    .withBufferMemoryBytes(64 * KIB).withMaxBlock(Duration.ZERO))) {
                // 1 KiB records against a 64 KiB buffer that may not wait: appends outrun acknowledgements at once.
                while (appends < 20_000 && refused < 20) {
                    int index = appends++;
                    assertThatCode(() -> p.append(topic, 0, Record.of(null, padded("bp-" + index, KIB)),
                            outcomes.forAppend(index))).doesNotThrowAnyException();
                    Optional<Outcome> told = outcomes.find(index);
                    if (told.isPresent() && told.get().error() != null) {
                        refused++;
                    }
                }
                p.flush();
                outcomes.awaitCount(appends, operationWait());
            }

            // As in the future form's test: a backend that acknowledges each append as it is made (the reference log)
            // never fills its buffer; Kafka and the embedded engine refuse within the first hundred or so.
            List<Outcome> refusals = outcomes.inIndexOrder().stream().filter(o -> o.error() != null).toList();
            String caller = Thread.currentThread().getName();
            assertThat(refusals).allSatisfy(o -> {
                TributaryException e = (TributaryException) Objects.requireNonNull(o.error());
                assertThat(e.code()).isEqualTo(LogErrors.PRODUCER_BUFFER_FULL);
                assertThat(e.isRetriable()).as("a full buffer is worth retrying").isTrue();
                assertThat(e.getMessage()).contains("bufferMemoryBytes");
                assertThat(statedMaxBlock(e.getMessage())).as("the maxBlock that applied, in: %s", e.getMessage())
                        .isEqualTo(Duration.ZERO);
                assertThat(e.getMessage()).doesNotContainIgnoringCase("delivery");
                assertThat(o.thread()).as("refused inside append, so told on its thread").isEqualTo(caller);
            });
            assertThat(refused).as("refusals told before append returned").isEqualTo(refusals.size());
            assertThat(outcomes.repeatedIndexes()).as("appends called back more than once").isEmpty();
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset())
                    .as("every acknowledged record is stored, no refused one is").isEqualTo(appends - refusals.size());
            outcomes.assertCountStill(appends);
        }

        /** The duration after {@code maxBlock=} in an error message: {@code 0 ms} or an ISO-8601 {@code PT0S}. */
        private static Duration statedMaxBlock(String message) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("maxBlock=(?:(\\d+) ms|(PT[0-9.HMS]+))")
                    .matcher(message);
            assertThat(m.find()).as("the message states maxBlock=<value>: %s", message).isTrue();
            return m.group(1) != null ? Duration.ofMillis(Long.parseLong(m.group(1))) : Duration.parse(m.group(2));
        }

        private static void assertCalledBackWith(Outcome o, Class<? extends TributaryException> type, ErrorCode code,
                                                 String... mentions) {
            assertThat(o.result()).as("append %d failed, so the callback gets no result", o.index()).isNull();
            Throwable e = o.error();
            assertRejected(() -> {
                if (e != null) {
                    throw e;
                }
            }, type, code, mentions);
        }
    }

    /**
     * What one callback was told, which append (by the test's count) it was for (-1 for a future's) and the thread it
     * ran on. A future's error is kept as it came, so a non-Tributary one shows up in the test's assertions.
     */
    record Outcome(int index, @Nullable AppendResult result, @Nullable Throwable error, String thread) {
    }

    /** Collects the callbacks of a test's appends, in the order they were called, from any thread. */
    static final class Outcomes {
        private final List<Outcome> seen = new ArrayList<>();
        private final boolean throwAfterRecording;

        Outcomes() {
            this(false);
        }

        private Outcomes(boolean throwAfterRecording) {
            this.throwAfterRecording = throwAfterRecording;
        }

        /**
         * Callbacks that throw (an {@link IllegalStateException}, which Kafka's client itself throws from
         * {@code send()}) after recording: a producer must neither let it out of {@code append} nor call again.
         */
        static Outcomes thatThrowAfterRecording() {
            return new Outcomes(true);
        }

        AppendCallback forAppend(int index) {
            return (result, error) -> {
                record(new Outcome(index, result, error, Thread.currentThread().getName()));
                if (throwAfterRecording) {
                    throw new IllegalStateException("the test's callback of append " + index + " throws on purpose");
                }
            };
        }

        /** For a future's {@code whenComplete}: recorded as append -1, with its error as it came. */
        java.util.function.BiConsumer<AppendResult, Throwable> forFuture() {
            return (result, error) -> record(new Outcome(-1, error == null ? result : null,
                    error instanceof java.util.concurrent.CompletionException c && c.getCause() != null
                            ? c.getCause() : error, Thread.currentThread().getName()));
        }

        private synchronized void record(Outcome o) {
            seen.add(o);
            notifyAll();
        }

        synchronized Optional<Outcome> find(int index) {
            return seen.stream().filter(o -> o.index() == index).findFirst();
        }

        /** Asserts append {@code index} was refused and told so on this thread, before the append returned. */
        synchronized void assertToldOnThisThread(int index) {
            Outcome o = find(index).orElseThrow(() -> new AssertionError("append " + index + " was refused before "
                    + "sending, so its callback should have run before append returned, but it has not (yet)"));
            assertThat(o.error()).as("append %d was refused", index).isNotNull();
            assertThat(o.thread()).as("append %d: a refusal known before sending is told on the appending thread",
                    index).isEqualTo(Thread.currentThread().getName());
        }

        /** Re-checks, some time after {@link #awaitCount}, that no callback ran a second time meanwhile. */
        synchronized void assertCountStill(int count) {
            assertThat(seen).as("no callback beyond one per append, also later").hasSize(count);
        }

        synchronized void awaitCount(int count, Duration limit) {
            long deadline = System.nanoTime() + limit.toNanos();
            while (seen.size() < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    fail("expected " + count + " callbacks within " + limit + " but got " + seen.size());
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
            assertThat(seen).as("no callback beyond one per append").hasSize(count);
        }

        synchronized List<Outcome> inCallOrder() {
            return List.copyOf(seen);
        }

        synchronized List<Outcome> inIndexOrder() {
            return seen.stream().sorted(java.util.Comparator.comparingInt(Outcome::index)).toList();
        }

        synchronized List<Throwable> errors() {
            return seen.stream().map(Outcome::error).filter(java.util.Objects::nonNull).toList();
        }

        synchronized List<Integer> repeatedIndexes() {
            Set<Integer> once = new HashSet<>();
            return seen.stream().map(Outcome::index).filter(i -> i >= 0 && !once.add(i)).toList();
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Keys and partitions
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("keys and partitions")
    class KeysAndPartitions {

        @Test
        void placesKeysOnTheSamePartitionsAsKafkasDefaultPartitioner() {
            for (KafkaPartitionTable.Row row : KafkaPartitionTable.ROWS) {
                assertThat(KeyPartitioner.partitionForKey(row.key(), row.partitions()))
                        .as("KeyPartitioner for key %s over %d partitions", row.label(), row.partitions())
                        .isEqualTo(row.partition());
            }
            for (int count : KafkaPartitionTable.LIVE_PARTITION_COUNTS) {
                String topic = createTopic("kafka-parity-" + count, count);
                List<KafkaPartitionTable.Row> rows = KafkaPartitionTable.ROWS.stream()
                        .filter(r -> r.partitions() == count).toList();
                List<AppendResult> acks = append(topic, rows.stream()
                        .map(r -> new Record(r.key(), bytes(r.label()), Headers.empty(), System.currentTimeMillis()))
                        .toList());
                for (int i = 0; i < rows.size(); i++) {
                    assertThat(acks.get(i).partition()).as("key %s over %d partitions lands where Kafka puts it",
                            rows.get(i).label(), count).isEqualTo(rows.get(i).partition());
                }
            }
        }

        @Test
        void sendsTheSameKeyToTheSamePartitionEveryTime() {
            String topic = createTopic("stable-keys", 5);
            List<Record> records = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                for (int k = 0; k < 40; k++) {
                    records.add(record("customer-" + k, "round-" + round));
                }
            }
            List<AppendResult> acks = append(topic, records);

            Map<String, Set<Integer>> partitionsByKey = new TreeMap<>();
            for (int i = 0; i < records.size(); i++) {
                partitionsByKey.computeIfAbsent(text(records.get(i).key()), k -> new TreeSet<>()).add(acks.get(i).partition());
            }
            partitionsByKey.forEach((key, parts) -> assertThat(parts).as("partitions key %s went to", key)
                    .containsExactly(KeyPartitioner.partitionForKey(bytes(key), 5)));
            for (LogRecord r : readAll(topic)) {
                assertThat(r.partition()).isEqualTo(KeyPartitioner.partitionForKey(r.key(), 5));
            }
        }

        @Test
        void spreadsKeylessRecordsOverEveryPartition() {
            int partitions = 6;
            String topic = createTopic("keyless", partitions);
            // 1 KiB values, so a backend that sticks to one partition per batch (Kafka's sticky partitioner switches
            // every batch.size bytes) still visits every partition many times over.
            List<Record> records = IntStream.range(0, 1200)
                    .mapToObj(i -> Record.of(null, padded("keyless-" + i, KIB))).toList();

            List<AppendResult> acks = append(topic, records);

            Map<Integer, Long> perPartition = acks.stream()
                    .collect(Collectors.groupingBy(AppendResult::partition, TreeMap::new, Collectors.counting()));
            assertThat(perPartition.keySet()).as("partitions that received keyless records: %s", perPartition)
                    .containsExactly(0, 1, 2, 3, 4, 5);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Consumer: assign, seek, poll, pause
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("consumer")
    class Consumer {

        private String topic;
        private TopicPartition tp;
        private long t0;

        /** Ten records in partition 0, record i with timestamp t0 + (i + 1) * 1000. */
        @BeforeEach
        void tenRecords() {
            topic = createTopic("seek", 1);
            tp = new TopicPartition(topic, 0);
            t0 = anHourAgo();
            append(topic, 0, IntStream.range(0, 10).mapToObj(i -> new Record(bytes("k" + i), bytes("v" + i),
                    Headers.empty(), t0 + (i + 1) * 1000L)).toList());
        }

        @Test
        void readsAnAssignedPartitionFromTheBeginningInOffsetOrder() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                assertThat(c.assignment()).containsExactly(tp);
                assertThat(c.groupMetadata()).as("no group outside subscribe").isEmpty();

                List<LogRecord> got = pollAtLeast(c, 10);

                assertThat(got).extracting(LogRecord::offset).containsExactlyElementsOf(LongRange.of(0, 10));
                assertThat(got).extracting(r -> text(r.value()))
                        .containsExactlyElementsOf(IntStream.range(0, 10).mapToObj(i -> "v" + i).toList());
                assertThat(c.position(tp)).isEqualTo(10);
            }
        }

        @Test
        void reportsBeginningAndEndOffsetsAndPartitionCount() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                assertThat(c.beginningOffsets(List.of(tp))).containsExactly(Map.entry(tp, 0L));
                assertThat(c.endOffsets(List.of(tp))).containsExactly(Map.entry(tp, 10L));
                assertThat(c.partitionCount(topic)).isEqualTo(1);
            }
        }

        @Test
        void seeksToAnOffsetTheBeginningAndTheEnd() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));

                c.seek(tp, 4);
                assertThat(c.position(tp)).isEqualTo(4);
                assertThat(pollAtLeast(c, 1).getFirst().offset()).isEqualTo(4);

                c.seekToBeginning(List.of(tp));
                assertThat(c.position(tp)).isZero();
                assertThat(pollAtLeast(c, 1).getFirst().offset()).isZero();

                c.seekToEnd(List.of(tp));
                assertThat(c.position(tp)).isEqualTo(10);
                assertThat(c.poll(Duration.ofMillis(300))).as("nothing after the end").isEmpty();

                append(topic, 0, List.of(record("k", "new")));
                LogRecord next = pollAtLeast(c, 1).getFirst();
                assertThat(next.offset()).isEqualTo(10);
                assertThat(text(next.value())).isEqualTo("new");
            }
        }

        @Test
        void seeksToTheEndOffsetItselfWithoutError() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                c.seek(tp, 10);
                assertThat(c.position(tp)).isEqualTo(10);
            }
        }

        @Test
        void seeksToTheFirstRecordAtOrAfterATimestamp() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                if (!supportsOrFailsLoudly(Capability.TIMESTAMP_SEEK, () -> c.seekToTimestamp(List.of(tp), t0 + 4500))) {
                    return;
                }
                c.seekToTimestamp(List.of(tp), t0 + 4500);
                assertThat(c.position(tp)).isEqualTo(4);
                assertThat(pollAtLeast(c, 1).getFirst().timestamp()).isEqualTo(t0 + 5000);

                c.seekToTimestamp(List.of(tp), t0 + 5000);
                assertThat(c.position(tp)).as("a record exactly at the timestamp counts").isEqualTo(4);

                c.seekToTimestamp(List.of(tp), 0);
                assertThat(c.position(tp)).isZero();

                c.seekToTimestamp(List.of(tp), t0 + 99_999);
                assertThat(c.position(tp)).as("no record that late: the end").isEqualTo(10);
            }
        }

        @Test
        void seeksByTimestampToTheFirstOffsetEvenWhenTimestampsAreOutOfOrder() {
            String shuffled = createTopic("seek-shuffled", 1);
            TopicPartition stp = new TopicPartition(shuffled, 0);
            long base = anHourAgo();
            long[] ts = {5000, 1000, 7000, 3000, 9000};
            append(shuffled, 0, Arrays.stream(ts).mapToObj(t -> new Record(null, bytes("t" + t), Headers.empty(),
                    base + t)).toList());
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(stp));
                if (!supportsOrFailsLoudly(Capability.TIMESTAMP_SEEK, () -> c.seekToTimestamp(List.of(stp), base + 6000))) {
                    return;
                }
                c.seekToTimestamp(List.of(stp), base + 6000);
                assertThat(c.position(stp)).as("first offset with timestamp >= 6000").isEqualTo(2);
                c.seekToTimestamp(List.of(stp), base + 2000);
                assertThat(c.position(stp)).as("first offset with timestamp >= 2000 is the first record (5000)").isZero();
                c.seekToTimestamp(List.of(stp), base + 8000);
                assertThat(c.position(stp)).isEqualTo(4);
                c.seekToTimestamp(List.of(stp), base + 9001);
                assertThat(c.position(stp)).isEqualTo(5);
            }
        }

        @Test
        void returnsAtMostMaxPollRecordsPerPoll() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withMaxPollRecords(3))) {
                c.assign(List.of(tp));
                List<LogRecord> all = new ArrayList<>();
                long deadline = System.nanoTime() + operationWait().toNanos();
                while (all.size() < 10 && System.nanoTime() < deadline) {
                    List<LogRecord> batch = c.poll(Duration.ofMillis(200));
                    assertThat(batch.size()).as("records in one poll").isLessThanOrEqualTo(3);
                    all.addAll(batch);
                }
                assertThat(all).extracting(LogRecord::offset).containsExactlyElementsOf(LongRange.of(0, 10));
            }
        }

        @Test
        void returnsOneRecordLargerThanMaxPollBytesRatherThanNothing() {
            String big = createTopic("big-record", 1);
            TopicPartition btp = new TopicPartition(big, 0);
            append(big, 0, List.of(Record.of(bytes("big"), padded("big", 10 * KIB))));
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withMaxPollBytes(1))) {
                c.assign(List.of(btp));
                List<LogRecord> got = pollAtLeast(c, 1);
                assertThat(got.getFirst().value()).hasSize(10 * KIB);
            }
        }

        @Test
        void keepsEachPollNearMaxPollBytes() {
            String sized = createTopic("poll-bytes", 1);
            TopicPartition stp = new TopicPartition(sized, 0);
            // Acked one at a time, so no backend can have stored them as one indivisible batch.
            for (int i = 0; i < 24; i++) {
                append(sized, 0, List.of(Record.of(null, padded("r" + i, KIB))));
            }
            long maxBytes = 4 * KIB;
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withMaxPollBytes(maxBytes))) {
                c.assign(List.of(stp));
                List<LogRecord> all = new ArrayList<>();
                int polls = 0;
                long deadline = System.nanoTime() + operationWait().toNanos();
                while (all.size() < 24 && System.nanoTime() < deadline) {
                    List<LogRecord> batch = c.poll(Duration.ofMillis(200));
                    if (batch.size() > 1) {
                        assertThat(batch.stream().mapToLong(LogRecord::sizeInBytes).sum())
                                .as("bytes in one poll of %d records", batch.size()).isLessThanOrEqualTo(maxBytes);
                    }
                    if (!batch.isEmpty()) {
                        polls++;
                    }
                    all.addAll(batch);
                }
                assertThat(all).extracting(LogRecord::offset).containsExactlyElementsOf(LongRange.of(0, 24));
                assertThat(polls).as("24 KiB at 4 KiB per poll").isGreaterThanOrEqualTo(6);
            }
        }

        @Test
        void pausedPartitionsReturnNothingUntilResumedAndKeepTheirPositions() {
            String two = createTopic("pause", 2);
            TopicPartition p0 = new TopicPartition(two, 0);
            TopicPartition p1 = new TopicPartition(two, 1);
            append(two, 0, IntStream.range(0, 5).mapToObj(i -> record("a", "p0-" + i)).toList());
            append(two, 1, IntStream.range(0, 5).mapToObj(i -> record("b", "p1-" + i)).toList());
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(p0, p1));
                c.pause(List.of(p0));
                assertThat(c.paused()).containsExactly(p0);

                List<LogRecord> whilePaused = pollAtLeast(c, 5);
                whilePaused.addAll(c.poll(Duration.ofMillis(300)));
                assertThat(whilePaused).allSatisfy(r -> assertThat(r.topicPartition()).isEqualTo(p1));
                assertThat(c.position(p0)).isZero();
                assertThat(c.assignment()).as("pausing keeps ownership").containsExactlyInAnyOrder(p0, p1);

                c.resume(List.of(p0));
                assertThat(c.paused()).isEmpty();
                List<LogRecord> afterResume = pollAtLeast(c, 5);
                assertThat(afterResume).extracting(LogRecord::offset).containsExactly(0L, 1L, 2L, 3L, 4L);
                assertThat(afterResume).allSatisfy(r -> assertThat(r.topicPartition()).isEqualTo(p0));
            }
        }

        @Test
        void longPollReturnsAsSoonAsARecordArrives() throws Exception {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                c.seekToEnd(List.of(tp));
                CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
                    sleep(300);
                    append(topic, 0, List.of(record("k", "wake")));
                });
                long start = System.nanoTime();
                List<LogRecord> got = c.poll(Duration.ofSeconds(30));
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                later.get(operationWait().toMillis(), TimeUnit.MILLISECONDS);

                if (got.isEmpty()) {
                    got = pollAtLeast(c, 1); // the append may have been acked just after the poll gave up early
                }
                assertThat(text(got.getFirst().value())).isEqualTo("wake");
                assertThat(tookMs).as("ms a 30 s poll took once a record arrived after 300 ms").isLessThan(10_000);
            }
        }

        @Test
        void wakeupMakesABlockedPollReturnAtOnce() {
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                c.seekToEnd(List.of(tp));
                CompletableFuture.runAsync(() -> {
                    sleep(300);
                    c.wakeup();
                });
                long start = System.nanoTime();
                List<LogRecord> got = c.poll(Duration.ofSeconds(30));
                long tookMs = (System.nanoTime() - start) / 1_000_000;

                assertThat(got).isEmpty();
                assertThat(tookMs).as("ms a 30 s poll took when woken after 300 ms").isLessThan(10_000);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Consumer groups and rebalances
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("consumer groups and rebalances")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    class Groups {

        private final OwnershipLedger ledger = new OwnershipLedger();
        private final List<PolledMember> members = new ArrayList<>();
        private @Nullable EventLog crashable;
        private String topic;
        private String group;
        private List<TopicPartition> all;

        @BeforeEach
        void fourPartitions() {
            topic = createTopic("group", 4);
            group = uniqueName("group");
            all = partitionsOf(topic, 4);
        }

        @AfterEach
        void stopMembers() {
            for (PolledMember m : members) {
                try {
                    m.abandon();
                } catch (AssertionError ignored) {
                    // the test itself reports what went wrong
                }
            }
            if (crashable != null && crashable != log) {
                closeLog(crashable);
            }
        }

        private boolean groupsSupported() {
            return supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> {
                try (LogConsumer c = log.consumer(memberConfig(group, "probe"))) {
                    c.subscribe(List.of(topic), RebalanceListener.NONE);
                    c.poll(Duration.ofMillis(100));
                }
            });
        }

        private PolledMember join(String name, ConsumerConfig config) {
            return join(name, config, log);
        }

        private PolledMember join(String name, ConsumerConfig config, EventLog from) {
            PolledMember m = PolledMember.start(name, ledger, from, config, List.of(topic));
            members.add(m);
            return m;
        }

        private PolledMember join(String name) {
            return join(name, memberConfig(group, name));
        }

        /** Waits until the members' listeners together own every partition, each member at least one. */
        private void awaitCompleteAssignment(List<PolledMember> live) {
            eventually(rebalanceWait(), "every partition of " + topic + " owned by one of " + names(live)
                    + ", each member owning at least one", ledger::owners, owners -> !ledger.violations().isEmpty()
                    || owners.keySet().containsAll(all) && live.stream().allMatch(m -> !ledger.ownedBy(m.name()).isEmpty()));
            assertNoDoubleOwnership();
            // What the listeners said agrees with what the consumers report.
            Set<TopicPartition> union = new HashSet<>();
            for (PolledMember m : live) {
                Set<TopicPartition> reported = m.call(LogConsumer::assignment);
                assertThat(reported).as("%s's assignment() vs its listener calls", m.name())
                        .containsExactlyInAnyOrderElementsOf(ledger.ownedBy(m.name()));
                assertThat(union).as("no partition assigned to two live members").doesNotContainAnyElementsOf(reported);
                union.addAll(reported);
            }
            assertThat(union).containsExactlyInAnyOrderElementsOf(all);
            // And the group, described by the admin, says the same once it is stable.
            GroupDescription d = eventually(rebalanceWait(), "describeGroup to show " + live.size()
                    + " stable members sharing every partition", () -> admin().describeGroup(group),
                    g -> g.state() == GroupState.STABLE && g.members().size() == live.size()
                            && g.members().stream().flatMap(m -> m.assignment().stream()).toList().size() == all.size()
                            && g.members().stream().flatMap(m -> m.assignment().stream()).collect(Collectors.toSet())
                            .containsAll(all));
            assertThat(d.members()).allSatisfy(m -> assertThat(m.assignment()).isNotEmpty());
        }

        private void assertNoDoubleOwnership() {
            assertThat(ledger.violations()).as("moments a partition had two owners").isEmpty();
        }

        /** Listener calls with partitions in them (some backends also call with an empty collection). */
        private static List<OwnershipLedger.Event> nonEmpty(List<OwnershipLedger.Event> events) {
            return events.stream().filter(e -> !e.partitions().isEmpty()).toList();
        }

        private static String names(List<PolledMember> ms) {
            return ms.stream().map(PolledMember::name).toList().toString();
        }

        @Test
        void aLoneMemberOwnsEveryPartition() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("alone");
            awaitCompleteAssignment(List.of(a));

            Optional<ConsumerGroupMetadata> meta = a.call(LogConsumer::groupMetadata);
            assertThat(meta).hasValueSatisfying(m -> assertThat(m.groupId()).isEqualTo(group));
            assertThat(nonEmpty(ledger.events("alone")).getFirst().kind()).isEqualTo(OwnershipLedger.Kind.ASSIGNED);
        }

        @Test
        void rebalancesWhenAMemberJoinsRevokingBeforeAssigning() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("first");
            awaitCompleteAssignment(List.of(a));
            int before = ledger.events("first").size();

            PolledMember b = join("second");
            awaitCompleteAssignment(List.of(a, b));

            List<OwnershipLedger.Event> afterJoin = nonEmpty(ledger.events("first").subList(before,
                    ledger.events("first").size()));
            assertThat(afterJoin).as("first's listener calls after second joined").isNotEmpty();
            assertThat(afterJoin.getFirst().kind()).as("the old owner hears revoked before anything else")
                    .isEqualTo(OwnershipLedger.Kind.REVOKED);
            Set<TopicPartition> moved = ledger.ownedBy("second");
            assertThat(afterJoin.stream().filter(e -> e.kind() == OwnershipLedger.Kind.REVOKED)
                    .flatMap(e -> e.partitions().stream()).collect(Collectors.toSet()))
                    .as("first was told of every partition it lost").containsAll(moved);
            long revokedAt = afterJoin.getFirst().seq();
            assertThat(ledger.events("second")).filteredOn(e -> e.kind() == OwnershipLedger.Kind.ASSIGNED
                            && !e.partitions().isEmpty())
                    .allSatisfy(e -> assertThat(e.seq()).as("second's assigned call comes after first's revoked call")
                            .isGreaterThan(revokedAt));
        }

        @Test
        void spreadsPartitionsOverThreeMembersWithoutOverlap() {
            if (!groupsSupported()) {
                return;
            }
            List<PolledMember> three = List.of(join("m1"), join("m2"), join("m3"));
            awaitCompleteAssignment(three);
        }

        @Test
        void rebalancesWhenAMemberLeavesWithClose() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("stays");
            PolledMember b = join("leaves");
            awaitCompleteAssignment(List.of(a, b));

            b.close();
            members.remove(b);

            awaitCompleteAssignment(List.of(a));
            eventually(rebalanceWait(), "the group to list only the remaining member",
                    () -> admin().describeGroup(group).members(), ms -> ms.size() == 1);
        }

        @Test
        void rejectsCommittingAPartitionOwnedByAnotherMember() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("committer");
            PolledMember b = join("owner");
            awaitCompleteAssignment(List.of(a, b));
            TopicPartition mine = a.owned().iterator().next();
            TopicPartition theirs = b.owned().iterator().next();

            assertRejected(() -> a.run(c -> c.commitSync(Map.of(mine, 0L, theirs, 0L))), TributaryException.class,
                    LogErrors.NOT_PARTITION_OWNER, theirs.toString());

            Map<TopicPartition, Long> committed = a.call(c -> c.committed(Set.of(mine, theirs)));
            assertThat(committed).as("nothing is committed").isEmpty();
        }

        @Test
        @Tag("slow")
        void rebalancesWhenAMemberStopsPollingForLongerThanMaxPollInterval() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("healthy");
            PolledMember b = join("hung", memberConfig(group, "hung").withMaxPollInterval(Duration.ofSeconds(3)));
            awaitCompleteAssignment(List.of(a, b));

            b.stall();

            awaitCompleteAssignment(List.of(a));
            eventually(rebalanceWait(), "the hung member to be dropped from the group",
                    () -> admin().describeGroup(group).members(), ms -> ms.size() == 1);
        }

        @Test
        @Tag("slow")
        void rebalancesWhenAMemberStopsHeartbeatingForLongerThanTheSessionTimeout() {
            if (!groupsSupported()) {
                return;
            }
            PolledMember a = join("survivor");
            // A long max poll interval, so only the session timeout can explain the member's removal.
            crashable = crashableLog();
            PolledMember b = join("crashed", memberConfig(group, "crashed").withMaxPollInterval(Duration.ofMinutes(5)),
                    crashable);
            awaitCompleteAssignment(List.of(a, b));

            b.crash(EventLogConformanceKit.this::crashMember);
            long crashedAt = System.nanoTime();

            awaitCompleteAssignment(List.of(a));
            long tookMs = (System.nanoTime() - crashedAt) / 1_000_000;
            assertThat(tookMs).as("ms until the survivor owned everything (session timeout %s)", groupSessionTimeout())
                    .isLessThan(groupSessionTimeout().plus(rebalanceWait()).toMillis());
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Commits
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("commits")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    class Commits {

        @Test
        void resumesExactlyAtTheCommittedOffsetsAfterTheMemberLeaves() {
            String topic = createTopic("resume", 3);
            String group = uniqueName("resume");
            List<AppendResult> acks = append(topic, IntStream.range(0, 30).mapToObj(i -> record("k" + i, "v" + i)).toList());
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> subscribeAndPoll(group, topic))) {
                return;
            }
            Map<TopicPartition, Long> committed = new TreeMap<>();
            Set<String> processed = new HashSet<>();
            try (LogConsumer first = log.consumer(memberConfig(group, "first"))) {
                first.subscribe(List.of(topic), RebalanceListener.NONE);
                List<LogRecord> got = pollAtLeast(first, 12);
                for (LogRecord r : got.subList(0, 12)) {
                    processed.add(r.partition() + "@" + r.offset());
                    committed.put(r.topicPartition(), r.offset() + 1);
                }
                first.commitSync(committed);
                assertThat(first.committed(committed.keySet())).isEqualTo(committed);
            }

            try (LogConsumer second = log.consumer(memberConfig(group, "second"))) {
                second.subscribe(List.of(topic), RebalanceListener.NONE);
                List<LogRecord> rest = pollAtLeast(second, 30 - 12);
                rest.addAll(second.poll(Duration.ofMillis(300)));

                assertThat(rest).extracting(r -> r.partition() + "@" + r.offset())
                        .as("the second member reads exactly what the first did not commit")
                        .doesNotContainAnyElementsOf(processed)
                        .doesNotHaveDuplicates()
                        .hasSize(30 - 12);
                for (TopicPartition tp : partitionsOf(topic, 3)) {
                    Optional<Long> firstOffset = rest.stream().filter(r -> r.topicPartition().equals(tp))
                            .map(LogRecord::offset).findFirst();
                    long expected = committed.getOrDefault(tp, 0L);
                    long end = acks.stream().filter(a -> a.topicPartition().equals(tp)).count();
                    if (expected < end) {
                        assertThat(firstOffset).as("%s resumes at its committed offset", tp).contains(expected);
                    }
                }
            }
        }

        @Test
        void commitSyncWithoutArgumentsCommitsEveryPosition() {
            String topic = createTopic("commit-all", 2);
            String group = uniqueName("commit-all");
            append(topic, IntStream.range(0, 20).mapToObj(i -> record("k" + i, "v" + i)).toList());
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> subscribeAndPoll(group, topic))) {
                return;
            }
            try (LogConsumer c = log.consumer(memberConfig(group, "all"))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                pollAtLeast(c, 20);
                c.commitSync();
                Set<TopicPartition> tps = Set.copyOf(partitionsOf(topic, 2));
                assertThat(c.committed(tps)).isEqualTo(c.endOffsets(tps));
            }
        }

        @Test
        void startsFromTheEndWithAutoOffsetResetLatestAndFailsWithNone() {
            String topic = createTopic("reset-policy", 1);
            append(topic, List.of(record("k", "old")));
            String latestGroup = uniqueName("latest");
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> subscribeAndPoll(latestGroup, topic))) {
                return;
            }
            try (LogConsumer c = log.consumer(memberConfig(latestGroup, "latest")
                    .withAutoOffsetReset(ConsumerConfig.AutoOffsetReset.LATEST))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                eventually(rebalanceWait(), "an assignment", () -> {
                    c.poll(Duration.ofMillis(100));
                    return !c.assignment().isEmpty();
                });
                assertThat(c.position(new TopicPartition(topic, 0))).as("LATEST starts at the end").isEqualTo(1);
                assertThat(c.poll(Duration.ofMillis(300))).as("LATEST skips what is already there").isEmpty();
                append(topic, List.of(record("k", "new")));
                assertThat(pollAtLeast(c, 1)).extracting(r -> text(r.value())).containsExactly("new");
            }
            String noneGroup = uniqueName("none");
            try (LogConsumer c = log.consumer(memberConfig(noneGroup, "none")
                    .withAutoOffsetReset(ConsumerConfig.AutoOffsetReset.NONE))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                assertRejected(() -> {
                    long deadline = System.nanoTime() + rebalanceWait().toNanos();
                    while (System.nanoTime() < deadline) {
                        c.poll(Duration.ofMillis(100));
                    }
                }, TributaryException.class, LogErrors.NO_COMMITTED_OFFSET, topic);
            }
        }

        private void subscribeAndPoll(String group, String topic) {
            try (LogConsumer c = log.consumer(memberConfig(group, "probe"))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                c.poll(Duration.ofMillis(100));
            }
        }
    }

    /**
     * Members come and go, each processing some records, committing at random points, then dying without committing
     * the rest; a last member drains the topic. Nothing is lost, each member resumes exactly at the committed
     * offsets, and the only records processed twice are the uncommitted tails. jqwik prints the seed of every run;
     * rerun a failure with {@code @Property(seed = "...")}.
     */
    @Property(tries = 8)
    void resumesAfterRandomCommitPointsWithoutLossOrDuplicatesBeyondTheUncommittedTail(
            @ForAll("memberLives") List<MemberLife> lives) {
        EventLog propertyLog = openLog();
        EventLog saved = log;
        log = propertyLog;
        try {
            String topic = createTopic("property", 3);
            String group = uniqueName("property");
            int total = 60;
            append(topic, IntStream.range(0, total).mapToObj(i -> record("k" + i, "v" + i)).toList());
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> {
                try (LogConsumer c = log.consumer(memberConfig(group, "probe"))) {
                    c.subscribe(List.of(topic), RebalanceListener.NONE);
                    c.poll(Duration.ofMillis(100));
                }
            })) {
                return;
            }
            Set<TopicPartition> tps = Set.copyOf(partitionsOf(topic, 3));
            Map<TopicPartition, Long> ends;
            try (LogConsumer probe = log.consumer(ConsumerConfig.defaults())) {
                ends = probe.endOffsets(tps);
            }
            Map<TopicPartition, Long> committed = new HashMap<>();
            Map<String, Integer> deliveries = new HashMap<>();
            long expectedDuplicates = 0;
            List<MemberLife> withDrain = new ArrayList<>(lives);
            withDrain.add(new MemberLife(Integer.MAX_VALUE, 1));
            for (MemberLife life : withDrain) {
                Map<TopicPartition, Long> next = new HashMap<>();
                int processed = 0;
                long deadline = System.nanoTime() + rebalanceWait().plus(operationWait()).toNanos();
                try (LogConsumer c = log.consumer(memberConfig(group, "life"))) {
                    c.subscribe(List.of(topic), RebalanceListener.NONE);
                    polling:
                    while (processed < life.take() && !caughtUp(tps, committed, next, ends)) {
                        assertThat(System.nanoTime()).as("member stuck after %d records (life %s)", processed, life)
                                .isLessThan(deadline);
                        for (LogRecord r : c.poll(Duration.ofMillis(100))) {
                            TopicPartition tp = r.topicPartition();
                            long expected = next.getOrDefault(tp, committed.getOrDefault(tp, 0L));
                            assertThat(r.offset()).as("%s: a new member resumes at the committed offset and then "
                                    + "reads without gaps", tp).isEqualTo(expected);
                            next.put(tp, r.offset() + 1);
                            deliveries.merge(tp.partition() + "@" + r.offset(), 1, Integer::sum);
                            processed++;
                            if (processed % life.commitEvery() == 0 || caughtUp(tps, committed, next, ends)) {
                                c.commitSync(Map.copyOf(next));
                                committed.putAll(next);
                            }
                            if (processed == life.take()) {
                                break polling;
                            }
                        }
                    }
                    assertThat(c.committed(tps)).as("committed offsets as the group stores them")
                            .isEqualTo(committed.entrySet().stream().filter(e -> e.getValue() > 0)
                                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
                }
                // The member dies here: whatever it processed beyond its last commit will be delivered again.
                for (Map.Entry<TopicPartition, Long> e : next.entrySet()) {
                    expectedDuplicates += e.getValue() - committed.getOrDefault(e.getKey(), 0L);
                }
            }
            assertThat(deliveries.size()).as("distinct records delivered: nothing lost").isEqualTo(total);
            assertThat(deliveries.values().stream().mapToLong(Integer::longValue).sum() - total)
                    .as("records delivered twice: exactly the uncommitted tails").isEqualTo(expectedDuplicates);
        } finally {
            closeProducer();
            log = saved;
            closeLog(propertyLog);
        }
    }

    private static boolean caughtUp(Set<TopicPartition> tps, Map<TopicPartition, Long> committed,
                                    Map<TopicPartition, Long> next, Map<TopicPartition, Long> ends) {
        return tps.stream().allMatch(tp -> next.getOrDefault(tp, committed.getOrDefault(tp, 0L)) >= ends.get(tp));
    }

    /**
     * One member's life in the commit property.
     *
     * @param take        records it processes before it dies
     * @param commitEvery it commits after every this many records
     */
    record MemberLife(int take, int commitEvery) {
    }

    @Provide
    Arbitrary<List<MemberLife>> memberLives() {
        Arbitrary<MemberLife> life = Combinators.combine(Arbitraries.integers().between(1, 25),
                Arbitraries.integers().between(1, 8)).as(MemberLife::new);
        return life.list().ofMinSize(1).ofMaxSize(4);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Group administration
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("group administration")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    class GroupAdministration {

        private String topic;
        private String group;
        private TopicPartition p0;
        private TopicPartition p1;
        private long t0;

        /** Two partitions of ten records each; record i of a partition has timestamp t0 + (i + 1) * 1000. */
        @BeforeEach
        void twoPartitionsOfTen() {
            t0 = anHourAgo();
            topic = createTopic("admin", 2);
            group = uniqueName("admin");
            p0 = new TopicPartition(topic, 0);
            p1 = new TopicPartition(topic, 1);
            for (int p = 0; p < 2; p++) {
                append(topic, p, IntStream.range(0, 10)
                        .mapToObj(i -> new Record(bytes("k"), bytes("v" + i), Headers.empty(), t0 + (i + 1) * 1000L)).toList());
            }
        }

        private boolean groupsSupported() {
            return supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> admin().describeGroup(group));
        }

        /** A member that owns both partitions and has committed p0 at 4 and p1 at 10. */
        private LogConsumer activeMemberWithCommits() {
            LogConsumer c = log.consumer(memberConfig(group, "lag-reader"));
            c.subscribe(List.of(topic), RebalanceListener.NONE);
            pollAtLeast(c, 20);
            c.commitSync(Map.of(p0, 4L, p1, 10L));
            return c;
        }

        @Test
        void describesAGroupWithMembersAssignmentsCommittedOffsetsAndLag() {
            if (!groupsSupported()) {
                return;
            }
            try (LogConsumer c = activeMemberWithCommits()) {
                GroupDescription d = admin().describeGroup(group);

                assertThat(d.groupId()).isEqualTo(group);
                assertThat(d.state()).isEqualTo(GroupState.STABLE);
                assertThat(d.members()).singleElement().satisfies(m -> {
                    assertThat(m.clientId()).isEqualTo("lag-reader");
                    assertThat(m.memberId()).isNotBlank();
                    assertThat(m.assignment()).containsExactlyInAnyOrder(p0, p1);
                });
                assertThat(d.offsets()).containsExactly(new PartitionLag(p0, 4, 10), new PartitionLag(p1, 10, 10));
                assertThat(d.offsets().get(0).lag()).isEqualTo(6);
                assertThat(d.totalLag()).isEqualTo(6);
                assertThat(admin().listGroups()).contains(group).isSorted();
                assertThat(c.groupMetadata()).hasValueSatisfying(m -> assertThat(m.memberId())
                        .isEqualTo(d.members().getFirst().memberId()));
            }
            GroupDescription empty = eventually(rebalanceWait(), "the group to be empty after its member closed",
                    () -> admin().describeGroup(group), d -> d.members().isEmpty());
            assertThat(empty.state()).isEqualTo(GroupState.EMPTY);
            assertThat(empty.offsets()).as("committed offsets outlive the members")
                    .containsExactly(new PartitionLag(p0, 4, 10), new PartitionLag(p1, 10, 10));
        }

        @Test
        void lagGrowsAsRecordsAreAppended() {
            if (!groupsSupported()) {
                return;
            }
            activeMemberWithCommits().close();
            append(topic, 1, List.of(record("k", "more"), record("k", "more")));

            GroupDescription d = admin().describeGroup(group);

            assertThat(d.offsets()).containsExactly(new PartitionLag(p0, 4, 10), new PartitionLag(p1, 10, 12));
            assertThat(d.totalLag()).isEqualTo(8);
        }

        @Test
        void resetsOffsetsToEarliestLatestOffsetAndTimestamp() {
            if (!groupsSupported()) {
                return;
            }
            activeMemberWithCommits().close();
            eventually(rebalanceWait(), "the group to be empty", () -> admin().describeGroup(group).members().isEmpty());

            assertThat(admin().resetOffsets(group, topic, OffsetSpec.earliest())).isEqualTo(Map.of(p0, 0L, p1, 0L));
            assertThat(committedOffsets()).isEqualTo(Map.of(p0, 0L, p1, 0L));

            assertThat(admin().resetOffsets(group, topic, OffsetSpec.latest())).isEqualTo(Map.of(p0, 10L, p1, 10L));
            assertThat(committedOffsets()).isEqualTo(Map.of(p0, 10L, p1, 10L));

            assertThat(admin().resetOffsets(group, topic, OffsetSpec.atOffset(7))).isEqualTo(Map.of(p0, 7L, p1, 7L));
            assertThat(committedOffsets()).isEqualTo(Map.of(p0, 7L, p1, 7L));

            if (supportsOrFailsLoudly(Capability.TIMESTAMP_SEEK,
                    () -> admin().resetOffsets(group, topic, OffsetSpec.atTimestamp(t0 + 3500)))) {
                assertThat(admin().resetOffsets(group, topic, OffsetSpec.atTimestamp(t0 + 3500)))
                        .as("first offsets with timestamp >= 3500").isEqualTo(Map.of(p0, 3L, p1, 3L));
                assertThat(admin().resetOffsets(group, topic, OffsetSpec.atTimestamp(t0 + 1_000_000)))
                        .as("no record that late: the end").isEqualTo(Map.of(p0, 10L, p1, 10L));
                admin().resetOffsets(group, topic, OffsetSpec.atOffset(3));
            }

            try (LogConsumer c = log.consumer(memberConfig(group, "after-reset"))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                long from = declares(Capability.TIMESTAMP_SEEK) ? 3 : 7;
                List<LogRecord> got = pollAtLeast(c, (int) (2 * (10 - from)));
                Map<TopicPartition, Long> firstOffsets = new TreeMap<>();
                got.forEach(r -> firstOffsets.putIfAbsent(r.topicPartition(), r.offset()));
                assertThat(firstOffsets).as("a new member starts at the reset offsets").isEqualTo(Map.of(p0, from, p1, from));
            }
        }

        private Map<TopicPartition, Long> committedOffsets() {
            return admin().describeGroup(group).offsets().stream()
                    .collect(Collectors.toMap(PartitionLag::partition, PartitionLag::committedOffset));
        }

        @Test
        void rejectsResettingOffsetsWhileMembersAreActiveNamingThem() {
            if (!groupsSupported()) {
                return;
            }
            try (LogConsumer c = activeMemberWithCommits()) {
                GroupMember member = admin().describeGroup(group).members().getFirst();
                TributaryException e = assertRejected(() -> admin().resetOffsets(group, topic, OffsetSpec.earliest()),
                        TributaryException.class, LogErrors.GROUP_NOT_EMPTY, group);
                assertThat(e.getMessage()).as("names the active members")
                        .satisfiesAnyOf(m -> assertThat(m).contains(member.memberId()),
                                m -> assertThat(m).contains(member.clientId()));
                assertThat(c.committed(Set.of(p0, p1))).as("nothing was reset").isEqualTo(Map.of(p0, 4L, p1, 10L));
            }
        }

        @Test
        void rejectsResettingToAnOffsetOutsideTheLog() {
            if (!groupsSupported()) {
                return;
            }
            activeMemberWithCommits().close();
            eventually(rebalanceWait(), "the group to be empty", () -> admin().describeGroup(group).members().isEmpty());

            assertRejected(() -> admin().resetOffsets(group, topic, OffsetSpec.atOffset(11)),
                    InvalidRequestException.class, LogErrors.OFFSET_OUT_OF_RANGE, "11");
            assertThat(committedOffsets()).isEqualTo(Map.of(p0, 4L, p1, 10L));
        }

        @Test
        void deletesAGroupOnlyWhenItHasNoMembers() {
            if (!groupsSupported()) {
                return;
            }
            LogConsumer c = activeMemberWithCommits();
            assertRejected(() -> admin().deleteGroup(group), TributaryException.class, LogErrors.GROUP_NOT_EMPTY, group);
            c.close();
            eventually(rebalanceWait(), "the group to be empty", () -> admin().describeGroup(group).members().isEmpty());

            admin().deleteGroup(group);

            assertThat(admin().listGroups()).doesNotContain(group);
            assertRejected(() -> admin().describeGroup(group), NotFoundException.class, LogErrors.GROUP_NOT_FOUND, group);
        }

        @Test
        void rejectsDescribingAGroupThatDoesNotExist() {
            String unknown = uniqueName("no-such-group");
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> admin().describeGroup(unknown))) {
                return;
            }
            assertRejected(() -> admin().describeGroup(unknown), NotFoundException.class, LogErrors.GROUP_NOT_FOUND, unknown);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Retention
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("retention")
    @Tag("slow")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    class Retention {

        @Test
        void deletesClosedSegmentsWhoseRecordsAreOlderThanRetentionMs() {
            Map<String, String> config = Map.of(TopicConfig.SEGMENT_BYTES, String.valueOf(MIB),
                    TopicConfig.RETENTION_MS, "3600000");
            if (!supportsOrFailsLoudly(Capability.RETENTION, () -> createTopic("retention-probe", 1, config))) {
                return;
            }
            String topic = createTopic("retention-time", 1, config);
            TopicPartition tp = new TopicPartition(topic, 0);
            long twoDaysAgo = System.currentTimeMillis() - 2 * 86_400_000L;
            // 2.5 MiB of old records fill two closed segments and part of a third; 1.5 MiB of fresh ones follow.
            append(topic, 0, IntStream.range(0, 2560).mapToObj(i -> new Record(null, padded("old-" + i, KIB),
                    Headers.empty(), twoDaysAgo + i)).toList());
            long firstFresh = append(topic, 0, List.of(Record.of(null, padded("fresh-0", KIB)))).getFirst().offset();
            append(topic, 0, IntStream.range(1, 1536).mapToObj(i -> Record.of(null, padded("fresh-" + i, KIB))).toList());
            long end = firstFresh + 1536;

            PartitionDescription p = eventually(cleanerWait(), "retention to delete the old closed segments of " + tp,
                    () -> admin().describeTopic(topic).partitions().getFirst(), d -> d.startOffset() > 0);

            assertThat(p.endOffset()).as("offsets are never reused").isEqualTo(end);
            // Retention may go on deleting expired segments while we look, so read the start offset afresh each time.
            List<LogRecord> left = readPartition(tp);
            long firstLeft = left.getFirst().offset();
            assertThat(firstLeft).as("the first record left is at or after the start offset seen earlier, and no "
                    + "fresh record is gone").isBetween(p.startOffset(), firstFresh);
            assertThat(left).extracting(LogRecord::offset).as("what is left is contiguous up to the end")
                    .containsExactlyElementsOf(LongRange.of(firstLeft, end));
            assertThat(text(left.getLast().value())).startsWith("fresh-1535");
            assertThat(admin().describeTopic(topic).partitions().getFirst().startOffset())
                    .as("only segments holding nothing but expired records go").isBetween(1L, firstFresh);
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                assertRejected(() -> c.seek(tp, 0), InvalidRequestException.class, LogErrors.OFFSET_OUT_OF_RANGE,
                        "0", topic);
            }
        }

        @Test
        void deletesTheOldestClosedSegmentsWhileThePartitionIsLargerThanRetentionBytes() {
            long retentionBytes = 2L * MIB;
            Map<String, String> config = Map.of(TopicConfig.SEGMENT_BYTES, String.valueOf(MIB),
                    TopicConfig.RETENTION_BYTES, String.valueOf(retentionBytes));
            if (!supportsOrFailsLoudly(Capability.RETENTION, () -> createTopic("retention-probe", 1, config))) {
                return;
            }
            String topic = createTopic("retention-size", 1, config);
            TopicPartition tp = new TopicPartition(topic, 0);
            int count = 5 * 1024;
            append(topic, 0, IntStream.range(0, count).mapToObj(i -> Record.of(null, padded("r" + i, KIB))).toList());
            // Every record takes at least 1 KiB on disk, so at most (retention + one segment) / 1 KiB may be left.
            long mostLeft = (retentionBytes + MIB) / KIB;

            PartitionDescription p = eventually(cleanerWait(), "retention.bytes to trim " + tp + " to at most "
                    + mostLeft + " records", () -> admin().describeTopic(topic).partitions().getFirst(),
                    d -> d.startOffset() > 0 && d.endOffset() - d.startOffset() <= mostLeft);

            assertThat(p.endOffset()).isEqualTo(count);
            assertThat(p.endOffset() - p.startOffset()).as("records left: about retention.bytes worth, not fewer")
                    .isGreaterThanOrEqualTo((retentionBytes - MIB) / (2 * KIB));
            if (p.sizeBytes() >= 0) {
                assertThat(p.sizeBytes()).isLessThanOrEqualTo(retentionBytes + MIB + 64 * KIB);
            }
            List<LogRecord> left = readPartition(tp);
            long firstLeft = left.getFirst().offset();
            assertThat(firstLeft).isGreaterThanOrEqualTo(p.startOffset());
            assertThat(count - firstLeft).as("records left when read: still about retention.bytes worth")
                    .isGreaterThanOrEqualTo((retentionBytes - MIB) / (2 * KIB));
            assertThat(left).extracting(LogRecord::offset).containsExactlyElementsOf(LongRange.of(firstLeft, count));
            assertThat(text(left.getLast().value())).startsWith("r" + (count - 1));
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Compaction
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("compaction")
    @Tag("slow")
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    class Compaction {

        private Map<String, String> compacted(long deleteRetentionMs) {
            return Map.of(TopicConfig.CLEANUP_POLICY, "compact", TopicConfig.SEGMENT_BYTES, String.valueOf(MIB),
                    TopicConfig.MIN_COMPACTION_LAG_MS, "0", TopicConfig.DELETE_RETENTION_MS, String.valueOf(deleteRetentionMs));
        }

        @Test
        void keepsTheLatestValueOfEveryKeyAndItsOffset() {
            if (!supportsOrFailsLoudly(Capability.COMPACTION, () -> createTopic("compact-probe", 1, compacted(0)))) {
                return;
            }
            String topic = createTopic("compact-latest", 1, compacted(86_400_000L));
            TopicPartition tp = new TopicPartition(topic, 0);
            int keys = 100;
            int rounds = 40;
            List<Record> records = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                for (int k = 0; k < keys; k++) {
                    records.add(Record.of(bytes(String.format("key-%03d", k)), padded("key-" + k + "@" + round, KIB)));
                }
            }
            records.add(Record.of(bytes("key-050"), null)); // deleted, but the tombstone must stay a day
            List<AppendResult> acks = append(topic, 0, records);
            Map<Long, Record> byOffset = new HashMap<>();
            Map<String, Long> latestOffset = new HashMap<>();
            for (int i = 0; i < records.size(); i++) {
                byOffset.put(acks.get(i).offset(), records.get(i));
                latestOffset.put(text(records.get(i).key()), acks.get(i).offset());
            }

            List<LogRecord> left = eventually(cleanerWait(), "compaction to remove at least half of the " + records.size()
                    + " records of " + tp, () -> readPartition(tp), rs -> rs.size() <= records.size() / 2);

            assertThat(left).extracting(LogRecord::offset).as("offsets keep their order").isSorted().doesNotHaveDuplicates();
            for (LogRecord r : left) {
                assertThat(r.toRecord()).as("the record at offset %d is the one appended there", r.offset())
                        .isEqualTo(byOffset.get(r.offset()));
            }
            Map<String, LogRecord> lastSeen = new HashMap<>();
            left.forEach(r -> lastSeen.put(text(r.key()), r));
            assertThat(lastSeen).as("every key survives").hasSize(keys);
            latestOffset.forEach((key, offset) -> assertThat(lastSeen.get(key).offset())
                    .as("the latest record of %s is kept", key).isEqualTo(offset));
            assertThat(lastSeen.get("key-050").isTombstone()).as("a tombstone younger than delete.retention.ms stays")
                    .isTrue();
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset()).isEqualTo(records.size());
        }

        @Test
        void removesTombstonesAndTheirKeysAfterDeleteRetentionMs() {
            if (!supportsOrFailsLoudly(Capability.COMPACTION, () -> createTopic("compact-probe", 1, compacted(0)))) {
                return;
            }
            String topic = createTopic("compact-tombstones", 1, compacted(0));
            TopicPartition tp = new TopicPartition(topic, 0);
            append(topic, 0, List.of(record("gone", "v1"), record("kept", "v1"), record("gone", null)));
            long keptOffset = 1;

            // A live topic keeps receiving writes; filler over ten keys rolls segments so the cleaner has work, and
            // compacts itself away. Stop once the deleted key has vanished, tombstone and all.
            AtomicInteger fillerRound = new AtomicInteger();
            List<LogRecord> left = eventually(cleanerWait(), "key 'gone' and its tombstone to be removed from " + tp,
                    () -> {
                        if (fillerRound.get() < 12) {
                            int round = fillerRound.getAndIncrement();
                            append(topic, 0, IntStream.range(0, 1024).mapToObj(i -> Record.of(bytes("filler-" + (i % 10)),
                                    padded("filler-" + round + "-" + i, KIB))).toList());
                        }
                        return readPartition(tp);
                    }, rs -> rs.stream().noneMatch(r -> "gone".equals(text(r.key()))));

            assertThat(left).filteredOn(r -> "kept".equals(text(r.key()))).singleElement().satisfies(r -> {
                assertThat(r.offset()).isEqualTo(keptOffset);
                assertThat(text(r.value())).isEqualTo("v1");
            });
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Durability modes
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("durability modes")
    class DurabilityModes {

        @ParameterizedTest
        @ValueSource(strings = {"always", "never", "interval:50"})
        void acceptsEachFsyncModeAndAcknowledgesAppends(String mode) {
            Map<String, String> config = Map.of(TopicConfig.FSYNC, mode);
            if (!supportsOrFailsLoudly(Capability.DURABILITY_MODES, () -> createTopic("fsync-probe", 1, config))) {
                return;
            }
            String topic = createTopic("fsync", 1, config);
            assertThat(admin().describeTopic(topic).config().effective()).containsEntry(TopicConfig.FSYNC, mode);
            List<AppendResult> acks = append(topic, IntStream.range(0, 100).mapToObj(i -> record("k", "v" + i)).toList());
            assertThat(acks).extracting(AppendResult::offset).containsExactlyElementsOf(LongRange.of(0, 100));
            assertThat(readPartition(new TopicPartition(topic, 0))).hasSize(100);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Transactions
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("transactions")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    class Transactions {

        @Test
        void readCommittedConsumersSeeCommittedTransactionsOnly() {
            String topic = createTopic("tx", 1);
            TopicPartition tp = new TopicPartition(topic, 0);
            String txId = uniqueName("tx");
            if (!supportsOrFailsLoudly(Capability.TRANSACTIONS,
                    () -> log.transactionalProducer(txId, ProducerConfig.defaults()).close())) {
                return;
            }
            try (TransactionalProducer tx = log.transactionalProducer(txId, ProducerConfig.defaults())) {
                tx.beginTransaction();
                for (int i = 0; i < 3; i++) {
                    tx.append(topic, 0, record("k", "committed-" + i));
                }
                tx.commitTransaction();
                tx.beginTransaction();
                tx.append(topic, 0, record("k", "aborted-0"));
                tx.append(topic, 0, record("k", "aborted-1"));
                tx.abortTransaction();
                tx.beginTransaction();
                tx.append(topic, 0, record("k", "committed-3"));
                tx.commitTransaction();
            }
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withReadCommitted(true))) {
                c.assign(List.of(tp));
                List<LogRecord> got = pollAtLeast(c, 4);
                got.addAll(c.poll(Duration.ofMillis(300)));
                assertThat(got).extracting(r -> text(r.value()))
                        .containsExactly("committed-0", "committed-1", "committed-2", "committed-3");
            }
        }

        @Test
        void commitsConsumedOffsetsInsideTheTransaction() {
            String in = createTopic("tx-in", 1);
            String out = createTopic("tx-out", 1);
            String group = uniqueName("tx-group");
            String txId = uniqueName("tx");
            append(in, List.of(record("a", "1"), record("b", "2"), record("c", "3")));
            if (!supportsOrFailsLoudly(Capability.TRANSACTIONS,
                    () -> log.transactionalProducer(txId, ProducerConfig.defaults()).close())) {
                return;
            }
            TopicPartition inTp = new TopicPartition(in, 0);
            try (LogConsumer c = log.consumer(memberConfig(group, "transformer").withReadCommitted(true));
                 TransactionalProducer tx = log.transactionalProducer(txId, ProducerConfig.defaults())) {
                c.subscribe(List.of(in), RebalanceListener.NONE);
                List<LogRecord> got = pollAtLeast(c, 3);
                tx.beginTransaction();
                for (LogRecord r : got) {
                    tx.append(out, new Record(r.key(), bytes(text(r.value()) + "!"), Headers.empty(), r.timestamp()));
                }
                tx.sendOffsetsToTransaction(Map.of(inTp, 3L), c.groupMetadata().orElseThrow());
                tx.commitTransaction();
                assertThat(c.committed(Set.of(inTp))).containsEntry(inTp, 3L);
            }
            assertThat(readPartition(new TopicPartition(out, 0))).extracting(r -> text(r.value()))
                    .containsExactly("1!", "2!", "3!");
        }

        @Test
        void readCommittedIsATransactionsFeature() {
            String topic = createTopic("tx-read", 1);
            if (declares(Capability.TRANSACTIONS)) {
                try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withReadCommitted(true))) {
                    c.assign(List.of(new TopicPartition(topic, 0)));
                    assertThat(c.poll(Duration.ofMillis(100))).isEmpty();
                }
                return;
            }
            assertUnsupported(Capability.TRANSACTIONS, () -> {
                try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withReadCommitted(true))) {
                    c.assign(List.of(new TopicPartition(topic, 0)));
                    c.poll(Duration.ofMillis(100));
                }
            });
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Durability across reopen
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("durability across reopen")
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    class Reopen {

        @BeforeEach
        void reopenable() {
            org.junit.jupiter.api.Assumptions.assumeTrue(canReopen(),
                    () -> getClass().getSimpleName() + ": the backend cannot reopen a log (canReopen() is false)");
        }

        @Test
        void keepsAcknowledgedRecordsTopicsAndConfigsAcrossReopen() {
            String topic = createTopic("reopen", 3, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "5000"));
            List<Record> records = IntStream.range(0, 300).mapToObj(i -> new Record(bytes("k" + i), bytes("v" + i),
                    Headers.of(Header.ofString("i", String.valueOf(i))), anHourAgo() + i)).toList();
            List<AppendResult> acks = append(topic, records);
            Map<String, Record> sentAt = new HashMap<>();
            for (int i = 0; i < records.size(); i++) {
                sentAt.put(acks.get(i).partition() + "@" + acks.get(i).offset(), records.get(i));
            }

            log = reopenLog(log);

            assertThat(admin().listTopics()).contains(topic);
            TopicDescription d = admin().describeTopic(topic);
            assertThat(d.partitionCount()).isEqualTo(3);
            assertThat(d.config().maxMessageBytes()).isEqualTo(5000);
            List<LogRecord> stored = readAll(topic);
            assertThat(stored).hasSize(300);
            for (LogRecord r : stored) {
                assertThat(r.toRecord()).isEqualTo(sentAt.get(r.partition() + "@" + r.offset()));
            }
            AppendResult next = append(topic, 0, List.of(record("k", "after"))).getFirst();
            assertThat(next.offset()).as("offsets continue after a reopen").isEqualTo(d.partitions().getFirst().endOffset());
        }

        @Test
        void keepsCommittedOffsetsAcrossReopen() {
            String topic = createTopic("reopen-offsets", 2);
            String group = uniqueName("reopen");
            append(topic, IntStream.range(0, 20).mapToObj(i -> record("k" + i, "v" + i)).toList());
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> admin().describeGroup(group))) {
                return;
            }
            TopicPartition p0 = new TopicPartition(topic, 0);
            try (LogConsumer c = log.consumer(memberConfig(group, "before"))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                pollAtLeast(c, 1);
                c.commitSync(Map.of(p0, 1L));
            }

            log = reopenLog(log);

            assertThat(admin().describeGroup(group).offsets()).filteredOn(l -> l.partition().equals(p0))
                    .singleElement().extracting(PartitionLag::committedOffset).isEqualTo(1L);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Capabilities
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("capabilities")
    class Capabilities {

        @Test
        void namesItsBackend() {
            assertThat(log.backend()).isNotBlank();
            assertThat(log.capabilities()).isNotNull();
        }

        @ParameterizedTest
        @EnumSource(Capability.class)
        void eachCapabilityWorksWhenDeclaredAndFailsLoudlyWhenNot(Capability capability) {
            String topic = createTopic("capability", 1);
            TopicPartition tp = new TopicPartition(topic, 0);
            ThrowingCallable use = switch (capability) {
                case CONSUMER_GROUPS -> () -> {
                    try (LogConsumer c = log.consumer(memberConfig(uniqueName("capability"), "probe"))) {
                        c.subscribe(List.of(topic), RebalanceListener.NONE);
                        c.poll(Duration.ofMillis(100));
                    }
                };
                case TIMESTAMP_SEEK -> () -> {
                    try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                        c.assign(List.of(tp));
                        c.seekToTimestamp(List.of(tp), 0);
                    }
                };
                case RETENTION -> () -> createTopic("capability", 1, Map.of(TopicConfig.RETENTION_MS, "3600000",
                        TopicConfig.RETENTION_BYTES, String.valueOf(64 * MIB)));
                case COMPACTION -> () -> createTopic("capability", 1, Map.of(TopicConfig.CLEANUP_POLICY, "compact"));
                case DURABILITY_MODES -> () -> createTopic("capability", 1, Map.of(TopicConfig.FSYNC, "never"));
                case TRANSACTIONS -> () -> {
                    try (TransactionalProducer tx = log.transactionalProducer(uniqueName("tx"), ProducerConfig.defaults())) {
                        tx.beginTransaction();
                        tx.append(topic, 0, record("k", "v"));
                        tx.commitTransaction();
                    }
                };
            };
            if (declares(capability)) {
                assertThat(catchThrowable(use)).as("%s is declared, so using it must work", capability).isNull();
            } else {
                assertUnsupported(capability, use);
            }
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Bad input: every error with its code and a message that names the thing and the fix
    // ------------------------------------------------------------------------------------------------------------

    @Nested
    @DisplayName("bad input")
    class BadInput {

        @ParameterizedTest
        @ValueSource(strings = {"", ".", "..", "has space", "slash/ed", "colon:ed", "comma,ed", "ünïcødé", "tab\tbed",
                "star*", "x2345678901234567890123456789012345678901234567890123456789012345678901234567890"
                + "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
                + "12345678901234567890123456789012345678901234567890123456789012345678901234567890"
                + "1234567890"})
        void rejectsInvalidTopicNamesSayingWhichCharactersAreAllowed(String name) {
            assertRejected(() -> admin().createTopic(new NewTopic(name, 1, TopicConfig.defaults())),
                    InvalidRequestException.class, LogErrors.INVALID_TOPIC_NAME, "a-z");
            assertThat(admin().listTopics()).doesNotContain(name);
        }

        @Test
        void acceptsATopicNameOfExactly249LegalCharacters() {
            String name = (uniqueName("long") + "-" + "x".repeat(249)).substring(0, 249);
            admin().createTopic(NewTopic.of(name, 1));
            assertThat(admin().topicExists(name)).isTrue();
            assertThat(append(name, List.of(record("k", "v"))).getFirst().offset()).isZero();
        }

        @Test
        void rejectsAppendToUnknownTopicWithHowToCreateIt() {
            String unknown = uniqueName("absent");
            try (LogProducer p = log.producer()) {
                assertSaysHowToCreate(assertRejected(() -> p.append(unknown, record("k", "v")), NotFoundException.class,
                        LogErrors.TOPIC_NOT_FOUND, unknown), unknown);
                assertSaysHowToCreate(assertRejected(() -> p.append(unknown, 0, record("k", "v")),
                        NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown), unknown);
                assertSaysHowToCreate(assertRejected(() -> p.appendAll(unknown, List.of(record("k", "v"))),
                        NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown), unknown);
            }
            assertThat(admin().topicExists(unknown)).as("auto-create is off").isFalse();
        }

        @Test
        void rejectsDescribingAlteringAndDeletingAnUnknownTopic() {
            String unknown = uniqueName("absent");
            assertSaysHowToCreate(assertRejected(() -> admin().describeTopic(unknown), NotFoundException.class,
                    LogErrors.TOPIC_NOT_FOUND, unknown), unknown);
            assertRejected(() -> admin().alterTopicConfig(unknown, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000")),
                    NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown);
            assertRejected(() -> admin().deleteTopic(unknown), NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown);
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                assertRejected(() -> c.partitionCount(unknown), NotFoundException.class, LogErrors.TOPIC_NOT_FOUND, unknown);
            }
        }

        private static void assertSaysHowToCreate(TributaryException e, String topic) {
            assertThat(e.getMessage().replace(topic, "<topic>")).as("the message says how to create the topic")
                    .containsIgnoringCase("create");
        }

        @Test
        void rejectsCreatingATopicThatAlreadyExistsAndLeavesItAlone() {
            String topic = createTopic("taken", 2);
            append(topic, 0, List.of(record("k", "v")));

            assertRejected(() -> admin().createTopic(NewTopic.of(topic, 5)), ConflictException.class,
                    LogErrors.TOPIC_ALREADY_EXISTS, topic);

            TopicDescription d = admin().describeTopic(topic);
            assertThat(d.partitionCount()).isEqualTo(2);
            assertThat(d.partitions().getFirst().endOffset()).isEqualTo(1);
        }

        @Test
        void rejectsAppendToAPartitionOutOfRangeNamingTheCount() {
            String topic = createTopic("three", 3);
            try (LogProducer p = log.producer()) {
                TributaryException e = assertRejected(() -> p.append(topic, 3, record("k", "v")),
                        InvalidRequestException.class, LogErrors.PARTITION_OUT_OF_RANGE, topic, "3");
                assertThat(e.getMessage()).as("says which partitions exist").containsAnyOf("0 to 2", "0-2", "0..2",
                        "3 partitions");
                assertRejected(() -> p.append(topic, 1000, record("k", "v")), InvalidRequestException.class,
                        LogErrors.PARTITION_OUT_OF_RANGE, topic, "1000");
            }
            assertThat(admin().describeTopic(topic).recordCountEstimate()).isZero();
        }

        @Test
        void rejectsARecordOverMaxMessageBytesNamingTheLimit() {
            String topic = createTopic("small", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "1000"));
            try (LogProducer p = log.producer()) {
                await(p.append(topic, Record.of(bytes("k"), new byte[500])));
                assertRejected(() -> p.append(topic, Record.of(bytes("k"), new byte[2000])),
                        InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE, "max.message.bytes", "1000", topic);
                // Every record of a list is checked before any is stored: the small one before the large one is not.
                assertRejected(() -> p.appendAll(topic, List.of(Record.of(bytes("k"), new byte[10]),
                                Record.of(bytes("k"), new byte[2000]))),
                        InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE, "max.message.bytes");
                p.flush();
            }
            assertThat(admin().describeTopic(topic).partitions().getFirst().endOffset()).as("nothing stored").isEqualTo(1);
        }

        @Test
        void rejectsARecordOverTheDefaultMaxMessageBytes() {
            String topic = createTopic("default-limit", 1);
            try (LogProducer p = log.producer()) {
                assertRejected(() -> p.append(topic, Record.of(null, new byte[TopicConfig.DEFAULT_MAX_MESSAGE_BYTES + 1000])),
                        InvalidRequestException.class, LogErrors.RECORD_TOO_LARGE, "max.message.bytes");
            }
        }

        @Test
        void rejectsNegativeAndAbsurdTopicConfigValuesAllInOneMessage() {
            Map<String, String> bad = new LinkedHashMap<>();
            bad.put(TopicConfig.RETENTION_MS, "-5");
            bad.put(TopicConfig.SEGMENT_BYTES, "10");
            bad.put(TopicConfig.MAX_MESSAGE_BYTES, "0");
            bad.put(TopicConfig.DELETE_RETENTION_MS, "-1");
            bad.put(TopicConfig.CLEANUP_POLICY, "shred");
            bad.put(TopicConfig.RETENTION_BYTES, "lots");
            bad.put("no.such.setting", "1");
            assertRejected(() -> TopicConfig.of(bad), InvalidRequestException.class, LogErrors.INVALID_TOPIC_CONFIG,
                    bad.keySet().toArray(String[]::new));

            String topic = createTopic("alter-bad", 1, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "5000"));
            assertRejected(() -> admin().alterTopicConfig(topic, Map.of(TopicConfig.MAX_MESSAGE_BYTES, "-1",
                            TopicConfig.SEGMENT_BYTES, "99", "no.such.setting", "x")),
                    InvalidRequestException.class, LogErrors.INVALID_TOPIC_CONFIG,
                    TopicConfig.MAX_MESSAGE_BYTES, TopicConfig.SEGMENT_BYTES, "no.such.setting");
            assertThat(admin().describeTopic(topic).config().overrides()).as("a rejected change changes nothing")
                    .isEqualTo(Map.of(TopicConfig.MAX_MESSAGE_BYTES, "5000"));
        }

        @ParameterizedTest
        @ValueSource(ints = {0, -1, NewTopic.MAX_PARTITIONS + 1})
        void rejectsAbsurdPartitionCounts(int partitions) {
            String name = uniqueName("partitions");
            assertRejected(() -> admin().createTopic(new NewTopic(name, partitions, TopicConfig.defaults())),
                    InvalidRequestException.class, LogErrors.INVALID_PARTITION_COUNT, String.valueOf(partitions));
            assertThat(admin().topicExists(name)).isFalse();
        }

        @Test
        void rejectsSeekingBeyondTheEndNamingTheValidRange() {
            String topic = createTopic("seek-range", 1);
            TopicPartition tp = new TopicPartition(topic, 0);
            append(topic, 0, IntStream.range(0, 5).mapToObj(i -> record("k", "v" + i)).toList());
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(tp));
                c.seek(tp, 2);
                assertRejected(() -> c.seek(tp, 6), InvalidRequestException.class, LogErrors.OFFSET_OUT_OF_RANGE,
                        "6", "5", topic);
                assertRejected(() -> c.seek(tp, -1), InvalidRequestException.class, LogErrors.OFFSET_OUT_OF_RANGE, "-1");
                assertThat(c.position(tp)).as("a rejected seek leaves the position alone").isEqualTo(2);
            }
        }

        @Test
        void rejectsSeekingOrAskingThePositionOfAPartitionNotAssigned() {
            String topic = createTopic("unassigned", 2);
            TopicPartition mine = new TopicPartition(topic, 0);
            TopicPartition other = new TopicPartition(topic, 1);
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                c.assign(List.of(mine));
                assertRejected(() -> c.seek(other, 0), TributaryException.class, LogErrors.NOT_ASSIGNED, other.toString());
                assertRejected(() -> c.position(other), TributaryException.class, LogErrors.NOT_ASSIGNED, other.toString());
            }
        }

        @Test
        void rejectsCommittingOffsetsForAPartitionTheMemberDoesNotOwn() {
            String topic = createTopic("owned", 2);
            String elsewhere = createTopic("not-owned", 1);
            String group = uniqueName("owner");
            append(topic, IntStream.range(0, 10).mapToObj(i -> record("k" + i, "v" + i)).toList());
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> admin().describeGroup(group))) {
                return;
            }
            TopicPartition owned = new TopicPartition(topic, 0);
            TopicPartition notOwned = new TopicPartition(elsewhere, 0);
            try (LogConsumer c = log.consumer(memberConfig(group, "owner"))) {
                c.subscribe(List.of(topic), RebalanceListener.NONE);
                eventually(rebalanceWait(), "an assignment", () -> {
                    c.poll(Duration.ofMillis(100));
                    return c.assignment().size() == 2;
                });
                assertRejected(() -> c.commitSync(Map.of(owned, 1L, notOwned, 0L)), TributaryException.class,
                        LogErrors.NOT_PARTITION_OWNER, notOwned.toString());
                assertThat(c.committed(Set.of(owned, notOwned))).as("nothing is committed when one partition is not owned")
                        .isEmpty();
            }
        }

        @Test
        void rejectsGroupOperationsWithoutAGroupId() {
            String topic = createTopic("no-group", 1);
            if (!supportsOrFailsLoudly(Capability.CONSUMER_GROUPS, () -> {
                try (LogConsumer grouped = log.consumer(memberConfig(uniqueName("probe"), "probe"))) {
                    grouped.subscribe(List.of(topic), RebalanceListener.NONE);
                }
            })) {
                return;
            }
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
                assertRejected(() -> c.subscribe(List.of(topic), RebalanceListener.NONE), InvalidRequestException.class,
                        LogErrors.GROUP_ID_REQUIRED, "group");
                c.assign(List.of(new TopicPartition(topic, 0)));
                assertRejected(() -> c.commitSync(Map.of(new TopicPartition(topic, 0), 0L)), InvalidRequestException.class,
                        LogErrors.GROUP_ID_REQUIRED, "group");
            }
        }

        @Test
        void rejectsInvalidConsumerAndProducerSettingsAllInOneMessage() {
            assertRejected(() -> ConsumerConfig.defaults().withMaxPollRecords(0).withMaxPollBytes(-1),
                    InvalidRequestException.class, ErrorCode.INVALID_CONFIG, "maxPollRecords");
            TributaryException e = assertRejected(() -> new ConsumerConfig("", Optional.of(" "), 0, 0,
                            Duration.ZERO, Duration.ZERO, Duration.ZERO, ConsumerConfig.AutoOffsetReset.EARLIEST, false,
                            Map.of()), InvalidRequestException.class, ErrorCode.INVALID_CONFIG,
                    "clientId", "groupId", "maxPollRecords", "maxPollBytes", "sessionTimeout", "maxPollInterval");
            assertThat(e.getMessage()).contains("heartbeatInterval");
            assertRejected(() -> new ProducerConfig(" ", 10, Duration.ofSeconds(-1), Duration.ofSeconds(-1), Map.of()),
                    InvalidRequestException.class, ErrorCode.INVALID_CONFIG, "clientId", "bufferMemoryBytes", "maxBlock",
                    "linger");
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The longs {@code from} (inclusive) to {@code to} (exclusive), for offset assertions. */
    static final class LongRange {
        private LongRange() {
        }

        static List<Long> of(long from, long to) {
            List<Long> out = new ArrayList<>();
            for (long i = from; i < to; i++) {
                out.add(i);
            }
            return out;
        }
    }
}
