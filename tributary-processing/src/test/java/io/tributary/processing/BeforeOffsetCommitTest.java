package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.produce;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessorConfig#withBeforeOffsetCommit}: the hook runs before every offset commit and covers what it commits. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class BeforeOffsetCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Duration NEVER = Duration.ofHours(1);

    @TempDir
    Path dir;

    @Test
    void runsBeforeEachCommitAndTheCommittedOffsetsNeverPassWhatFinishedBeforeItRan() throws Exception {
        List<String> keys = IntStream.range(0, 8).mapToObj(i -> "k" + i).toList();
        TopicPartition p0 = new TopicPartition("orders", 0);
        TopicPartition p1 = new TopicPartition("orders", 1);
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 2);
            produce(log, "orders", keys, 40);   // 320 events over two partitions
            Map<TopicPartition, Set<Long>> finished = new ConcurrentHashMap<>();
            Map<TopicPartition, Set<Long>> hooked = new ConcurrentHashMap<>();
            List<String> uncovered = new CopyOnWriteArrayList<>();
            AtomicInteger runs = new AtomicInteger();
            BeforeOffsetCommit hook = offsets -> {
                // What the hook would make durable: exactly the events whose handler calls returned by now.
                for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                    Set<Long> done = finished.getOrDefault(e.getKey(), Set.of());
                    for (long o = 0; o < e.getValue(); o++) {
                        if (!done.contains(o)) {
                            uncovered.add(e.getKey() + "@" + o + " below " + e.getValue());
                        }
                    }
                }
                Thread.sleep(2);   // widens the window in which a commit sent too early would be seen
                offsets.forEach((tp, o) -> hooked.computeIfAbsent(tp, k -> ConcurrentHashMap.newKeySet()).add(o));
                runs.incrementAndGet();
            };
            ProcessorConfig cfg = config("billing", "orders").withConcurrencyPerPartition(8)
                    .withBeforeOffsetCommit(hook);
            List<String> committedUnhooked = new CopyOnWriteArrayList<>();
            try (Processor p = Processor.start(log, cfg, e -> {
                Thread.sleep(0, ThreadLocalRandom.current().nextInt(1_000_000));   // completes out of order
                finished.computeIfAbsent(new TopicPartition(e.topic(), e.partition()),
                        k -> ConcurrentHashMap.newKeySet()).add(e.offset());
            })) {
                long c0 = -1;
                long c1 = -1;
                long deadline = System.nanoTime() + WAIT.toNanos();
                while (c0 + c1 < 320) {
                    assertThat(System.nanoTime()).as("every event committed in time").isLessThan(deadline);
                    long n0 = committed(log, "billing", p0);
                    long n1 = committed(log, "billing", p1);
                    // The hook recorded its offsets before it returned, and the commit is sent only after that.
                    if (n0 > c0 && n0 > 0 && !hooked.getOrDefault(p0, Set.of()).contains(n0)) {
                        committedUnhooked.add(p0 + "@" + n0);
                    }
                    if (n1 > c1 && n1 > 0 && !hooked.getOrDefault(p1, Set.of()).contains(n1)) {
                        committedUnhooked.add(p1 + "@" + n1);
                    }
                    c0 = n0;
                    c1 = n1;
                    Thread.sleep(1);
                }
                assertThat(p.failure()).isEmpty();
            }
            assertThat(committed(log, "billing", p0) + committed(log, "billing", p1)).isEqualTo(320);
            assertThat(committedUnhooked).as("offsets committed without the hook having run for them").isEmpty();
            assertThat(uncovered).as("events below a commit that had not finished when the hook ran").isEmpty();
            assertThat(runs.get()).as("hook runs (one per commit)").isGreaterThan(1);
        }
    }

    @Test
    void aThrowingHookLeavesTheOffsetsUncommittedAndALaterSuccessfulRunCommitsThem() throws Exception {
        refusedCommitsUntilTheHookSucceeds("billing", new java.sql.SQLException("database is full"));
    }

    @Test
    void aHookThrowingAnErrorIsAFailedHookNotAStoppedProcessor() throws Exception {
        // Regression (review): an Error escaped the hook's catch and stopped the processor as a log-read failure.
        refusedCommitsUntilTheHookSucceeds("audit", new AssertionError("flush invariant broken"));
    }

    /**
     * A processor whose hook throws {@code failure} handles every event but commits nothing and keeps running; once
     * the hook succeeds, the offsets are committed.
     */
    private void refusedCommitsUntilTheHookSucceeds(String group, Throwable failure) throws Exception {
        TopicPartition tp = new TopicPartition("orders", 0);
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 10);
            AtomicBoolean failing = new AtomicBoolean(true);
            AtomicInteger failures = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = config(group, "orders").withBeforeOffsetCommit(offsets -> {
                if (failing.get()) {
                    failures.incrementAndGet();
                    if (failure instanceof Error error) {
                        throw error;
                    }
                    throw (Exception) failure;
                }
            });
            try (Processor p = Processor.start(log, cfg, e -> handled.incrementAndGet())) {
                await("every event handled and three commits refused", WAIT,
                        () -> handled.get() == 10 && failures.get() >= 3);
                assertThat(committed(log, group, tp)).isEqualTo(-1);
                assertThat(p.committedOffsets()).isEmpty();
                assertThat(p.state()).isEqualTo(ProcessorState.RUNNING);
                assertThat(p.failure()).isEmpty();
                failing.set(false);
                await("committed once the hook succeeds", WAIT, () -> committed(log, group, tp) == 10);
                assertThat(p.failure()).isEmpty();
                assertThat(p.state()).isEqualTo(ProcessorState.RUNNING);
            }
        }
    }

    @Test
    void runsBeforeTheFinalCommitOnClose() throws Exception {
        TopicPartition tp = new TopicPartition("orders", 0);
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 10);
            List<Map<TopicPartition, Long>> runs = new CopyOnWriteArrayList<>();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withCommitInterval(NEVER)
                    .withBeforeOffsetCommit(offsets -> runs.add(Map.copyOf(offsets)));
            Processor p = Processor.start(log, cfg, e -> handled.incrementAndGet());
            await("every event handled", WAIT, () -> handled.get() == 10);
            assertThat(runs).isEmpty();
            p.close();
            assertThat(runs).containsExactly(Map.of(tp, 10L));
            assertThat(committed(log, "billing", tp)).isEqualTo(10);
        }
    }

    @Test
    void aThrowingHookOnCloseLeavesTheOffsetsForTheNextOwner() throws Exception {
        TopicPartition tp = new TopicPartition("orders", 0);
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 10);
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withCommitInterval(NEVER)
                    .withBeforeOffsetCommit(offsets -> {
                        throw new IllegalStateException("flush failed");
                    });
            Processor p = Processor.start(log, cfg, e -> handled.incrementAndGet());
            await("every event handled", WAIT, () -> handled.get() == 10);
            p.close();
            assertThat(p.state()).isEqualTo(ProcessorState.STOPPED);
            // Nothing was committed (the group never stored an offset), so the next owner repeats every event.
            try (Processor next = Processor.start(log, config("billing", "orders"), e -> handled.incrementAndGet())) {
                await("the next owner repeated every event and committed", WAIT,
                        () -> handled.get() == 20 && next.committedOffsets().equals(Map.of(tp, 10L)));
            }
            assertThat(committed(log, "billing", tp)).isEqualTo(10);
        }
    }

    @Test
    void runsBeforeTheCommitOfRevokedPartitions() throws Exception {
        List<String> keys = IntStream.range(0, 16).mapToObj(i -> "k" + i).toList();
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 4);
            produce(log, "orders", keys, 5);   // 80 events
            List<Map<TopicPartition, Long>> runsOfA = new CopyOnWriteArrayList<>();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withCommitInterval(NEVER);
            Processor a = Processor.start(log, cfg.withBeforeOffsetCommit(o -> runsOfA.add(Map.copyOf(o))),
                    e -> handled.incrementAndGet());
            await("the first instance handled everything", WAIT, () -> handled.get() == 80);
            assertThat(runsOfA).isEmpty();
            try (Processor b = Processor.start(log, cfg, e -> handled.incrementAndGet())) {
                await("the partitions are shared by both", WAIT,
                        () -> !b.bufferFill().isEmpty() && a.bufferFill().size() < 4);
                assertThat(runsOfA).as("a's hook ran before it committed the partitions it gave up").isNotEmpty();
                for (Map.Entry<TopicPartition, Long> e : runsOfA.getFirst().entrySet()) {
                    assertThat(committed(log, "billing", e.getKey())).isEqualTo(e.getValue());
                }
            } finally {
                a.close();
            }
            assertThat(handled).as("nothing handled twice: every revoked partition was committed").hasValue(80);
        }
    }

    @Test
    void aTransactionalProcessorRefusesTheHookItCouldNotRun() {
        try (EventLog log = Fixtures.openLog(dir)) {
            ProcessorConfig cfg = config("billing", "orders").withBeforeOffsetCommit(offsets -> { });
            assertThatThrownBy(() -> TransactionalProcessor.start(log, cfg, "0", (e, out) -> { }))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                    .hasMessageContaining("'billing'").hasMessageContaining("beforeOffsetCommit")
                    .hasMessageContaining("Drop the hook");
        }
    }
}
