package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-key order under parallel handling, over random key sets, handler delays, transient failures, concurrency limits,
 * partition counts, poll sizes and batching, with half the events produced while the processor runs. Each try runs a real processor on a fresh embedded log. jqwik reports the seed of a
 * failing run (rerun with {@code @Property(seed = "...")}); every try also logs its parameters. Each try is bounded
 * by {@link #TRY_TIMEOUT} (jqwik does not honour JUnit's {@code @Timeout}).
 */
class PerKeyOrderPropertyTest {

    private static final Logger LOG = LoggerFactory.getLogger(PerKeyOrderPropertyTest.class);
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(30);

    @Property(tries = 12)
    void eachKeyIsHandledExactlyInOffsetOrderAndNeverConcurrently(
            @ForAll @IntRange(min = 1, max = 12) int keyCount,
            @ForAll @IntRange(min = 1, max = 40) int perKey,
            @ForAll @IntRange(min = 1, max = 3) int partitions,
            @ForAll @IntRange(min = 1, max = 8) int concurrency,
            @ForAll @IntRange(min = 1, max = 10) int batchEvents,
            @ForAll @IntRange(min = 1, max = 50) int maxPollRecords,
            @ForAll long behaviourSeed) throws Exception {
        LOG.info("try: keys={} perKey={} partitions={} concurrency={} batchEvents={} maxPollRecords={} "
                + "behaviourSeed={}", keyCount, perKey, partitions, concurrency, batchEvents, maxPollRecords,
                behaviourSeed);
        Path dir = Files.createTempDirectory("tributary-processing-prop");
        try (EventLog log = openLog(dir)) {
            createTopic(log, "t", partitions);
            List<String> keys = IntStream.range(0, keyCount).mapToObj(i -> "key-" + i).toList();
            int firstWave = perKey / 2;
            produce(log, "t", keys, 0, firstWave);
            Map<String, List<Integer>> completed = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
            Set<String> active = ConcurrentHashMap.newKeySet();
            AtomicInteger overlaps = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("prop", "t").withConcurrencyPerPartition(concurrency)
                    .withConsumer(ConsumerConfig.defaults().withMaxPollRecords(maxPollRecords))
                    .withBatching(batchEvents, 1 << 20, Duration.ofMillis(1))
                    .withRetry(RetryPolicy.defaults().withMaxAttempts(3)
                            .withBackoff(Duration.ofMillis(1), Duration.ofMillis(4)));
            BatchHandler handler = events -> {
                List<String> batchKeys = events.stream().map(Fixtures::key).distinct().toList();
                for (String k : batchKeys) {
                    if (!active.add(k)) {
                        overlaps.incrementAndGet();
                    }
                }
                try {
                    // about one event in eight fails its call's first one or two attempts (counted for every event
                    // of the call, so a batch fails at most twice and the retry policy's 3 attempts always suffice)
                    String failing = null;
                    for (LogRecord e : events) {
                        String id = key(e) + "#" + seq(e);
                        int behaviour = Objects.hash(behaviourSeed, id) & 0xff;
                        if (behaviour < 64) {
                            Thread.sleep(behaviour % 3);
                        }
                        int failFirst = behaviour >= 224 ? 1 + behaviour % 2 : 0;
                        if (attempts.computeIfAbsent(id, x -> new AtomicInteger()).incrementAndGet() <= failFirst) {
                            failing = id;
                        }
                    }
                    if (failing != null) {
                        throw new IllegalStateException("transient failure of " + failing);
                    }
                    for (LogRecord e : events) {
                        completed.computeIfAbsent(key(e), x -> Collections.synchronizedList(new ArrayList<>()))
                                .add(seq(e));
                    }
                    handled.addAndGet(events.size());
                } finally {
                    batchKeys.forEach(active::remove);
                }
            };
            boolean batched = batchEvents > 1;
            try (Processor p = batched ? Processor.startBatched(log, cfg, handler)
                    : Processor.start(log, cfg, e -> handler.handleBatch(List.of(e)))) {
                // the second wave arrives while keys of the first are still being handled
                produce(log, "t", keys, firstWave, perKey);
                await("all " + keyCount * perKey + " events handled", TRY_TIMEOUT,
                        () -> handled.get() >= keyCount * perKey || p.state() != ProcessorState.RUNNING);
                assertThat(p.failure()).isEmpty();
                await("everything committed", TRY_TIMEOUT, () -> log.admin().describeGroup("prop").totalLag() == 0);
            }
            assertThat(overlaps).as("a key ran in two calls at once").hasValue(0);
            assertThat(handled.get()).isEqualTo(keyCount * perKey);
            List<Integer> expected = IntStream.range(0, perKey).boxed().toList();
            for (String k : keys) {
                assertThat(completed.get(k)).as(k).containsExactlyElementsOf(expected);
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    /**
     * Partial batches: each batch names about a quarter of its events (by a per-event seed, so a named event may be
     * named again only in a batch of several) and applies the rest, skipping a named key's later events as the
     * contract asks; one event in ten is filtered out. Every accepted event is applied exactly once, per key in offset
     * order, no key is in two calls at once, and everything is committed.
     */
    @Property(tries = 10)
    void partialBatchesApplyEachKeyExactlyOnceInOffsetOrder(
            @ForAll @IntRange(min = 1, max = 10) int keyCount,
            @ForAll @IntRange(min = 1, max = 30) int perKey,
            @ForAll @IntRange(min = 1, max = 2) int partitions,
            @ForAll @IntRange(min = 1, max = 4) int concurrency,
            @ForAll @IntRange(min = 2, max = 12) int batchEvents,
            @ForAll @IntRange(min = 1, max = 50) int maxPollRecords,
            @ForAll long behaviourSeed) throws Exception {
        LOG.info("partial try: keys={} perKey={} partitions={} concurrency={} batchEvents={} maxPollRecords={} "
                + "behaviourSeed={}", keyCount, perKey, partitions, concurrency, batchEvents, maxPollRecords,
                behaviourSeed);
        Path dir = Files.createTempDirectory("tributary-processing-prop");
        try (EventLog log = openLog(dir)) {
            createTopic(log, "t", partitions);
            List<String> keys = IntStream.range(0, keyCount).mapToObj(i -> "key-" + i).toList();
            int firstWave = perKey / 2;
            produce(log, "t", keys, 0, firstWave);
            Map<String, List<Integer>> completed = new ConcurrentHashMap<>();
            Set<String> active = ConcurrentHashMap.newKeySet();
            AtomicInteger overlaps = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            java.util.function.Predicate<LogRecord> accepted = e -> (Objects.hash(behaviourSeed, "f", key(e), seq(e))
                    & 0xff) >= 26;
            ProcessorConfig cfg = Fixtures.config("prop", "t").withConcurrencyPerPartition(concurrency)
                    .withConsumer(ConsumerConfig.defaults().withMaxPollRecords(maxPollRecords))
                    .withBatching(batchEvents, 1 << 20, Duration.ofMillis(1))
                    .withEventFilter(accepted);
            PartialBatchHandler handler = (events, attempt) -> {
                List<String> batchKeys = events.stream().map(Fixtures::key).distinct().toList();
                for (String k : batchKeys) {
                    if (!active.add(k)) {
                        overlaps.incrementAndGet();
                    }
                }
                try {
                    List<LogRecord> named = new ArrayList<>();
                    Set<String> namedKeys = new java.util.HashSet<>();
                    for (LogRecord e : events) {
                        boolean name = events.size() > 1
                                && (Objects.hash(behaviourSeed, key(e), seq(e)) & 0xff) < 64;
                        if (name || namedKeys.contains(key(e))) {
                            namedKeys.add(key(e));
                            if (name) {
                                named.add(e);
                            }
                            continue;
                        }
                        completed.computeIfAbsent(key(e), x -> Collections.synchronizedList(new ArrayList<>()))
                                .add(seq(e));
                        handled.incrementAndGet();
                    }
                    return BatchOutcome.handAgainAlone(named);
                } finally {
                    batchKeys.forEach(active::remove);
                }
            };
            Map<String, List<Integer>> expected = new java.util.HashMap<>();
            try (Processor p = Processor.startPartialBatched(log, cfg, handler)) {
                produce(log, "t", keys, firstWave, perKey);
                try (var reader = log.consumer(ConsumerConfig.defaults().withGroupId("prop-check"))) {
                    reader.subscribe(List.of("t"), io.tributary.log.RebalanceListener.NONE);
                    int seen = 0;
                    long deadline = System.nanoTime() + TRY_TIMEOUT.toNanos();
                    while (seen < keyCount * perKey) {
                        assertThat(System.nanoTime()).as("read back every event in time").isLessThan(deadline);
                        for (LogRecord e : reader.poll(Duration.ofMillis(100))) {
                            seen++;
                            if (accepted.test(e)) {
                                expected.computeIfAbsent(key(e), x -> new ArrayList<>()).add(seq(e));
                            }
                        }
                    }
                }
                int total = expected.values().stream().mapToInt(List::size).sum();
                await("all " + total + " accepted events handled", TRY_TIMEOUT,
                        () -> handled.get() >= total || p.state() != ProcessorState.RUNNING);
                assertThat(p.failure()).isEmpty();
                await("everything committed", TRY_TIMEOUT, () -> log.admin().describeGroup("prop").totalLag() == 0);
            }
            assertThat(overlaps).as("a key ran in two calls at once").hasValue(0);
            for (String k : keys) {
                assertThat(completed.getOrDefault(k, List.of())).as(k)
                        .containsExactlyElementsOf(expected.getOrDefault(k, List.of()));
            }
        } finally {
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
