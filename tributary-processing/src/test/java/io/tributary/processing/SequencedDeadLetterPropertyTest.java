package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sequenced dead-lettering never breaks a key's order, over random keys, poison events, partitions, concurrency and
 * batching: before the fix each key was handled exactly up to its first dead-lettered event and the rest of it is in
 * the queue in order; after the fix, a redrive of everything (while new events keep arriving) completes every key
 * exactly once, in offset order, never two calls of one key at once. jqwik reports the seed of a failing run; each try
 * logs its parameters and is bounded by {@link #TRY_TIMEOUT}.
 */
class SequencedDeadLetterPropertyTest {

    private static final Logger LOG = LoggerFactory.getLogger(SequencedDeadLetterPropertyTest.class);
    private static final Duration TRY_TIMEOUT = Duration.ofSeconds(30);

    @Property(tries = 8)
    void deadLetteringAndRedriveKeepEveryKeyInOffsetOrder(
            @ForAll @IntRange(min = 1, max = 8) int keyCount,
            @ForAll @IntRange(min = 1, max = 20) int perKey,
            @ForAll @IntRange(min = 1, max = 3) int partitions,
            @ForAll @IntRange(min = 1, max = 6) int concurrency,
            @ForAll @IntRange(min = 1, max = 6) int batchEvents,
            @ForAll @IntRange(min = 0, max = 5) int lateEvents,
            @ForAll long poisonSeed) throws Exception {
        LOG.info("try: keys={} perKey={} partitions={} concurrency={} batchEvents={} lateEvents={} poisonSeed={}",
                keyCount, perKey, partitions, concurrency, batchEvents, lateEvents, poisonSeed);
        Path dir = Files.createTempDirectory("tributary-dlq-prop");
        try (EventLog log = openLog(dir)) {
            createTopic(log, "t", partitions);
            List<String> keys = IntStream.range(0, keyCount).mapToObj(i -> "key-" + i).toList();
            produce(log, "t", keys, 0, perKey);
            AtomicBoolean fixed = new AtomicBoolean();
            Map<String, List<Integer>> completed = new ConcurrentHashMap<>();
            Set<String> active = ConcurrentHashMap.newKeySet();
            AtomicInteger overlaps = new AtomicInteger();
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("prop", "t").withConcurrencyPerPartition(concurrency)
                    .withBatching(batchEvents, 1 << 20, Duration.ofMillis(1))
                    .withRetry(RetryPolicy.noRetries())
                    .withDeadLetter(DeadLetterPolicy.sequenced().withActionCheckInterval(Duration.ofMillis(5)));
            BatchHandler handler = events -> {
                List<String> batchKeys = events.stream().map(Fixtures::key).distinct().toList();
                for (String k : batchKeys) {
                    if (!active.add(k)) {
                        overlaps.incrementAndGet();
                    }
                }
                try {
                    for (LogRecord e : events) {
                        // about one event in six is poison until the fix
                        if (!fixed.get() && (Objects.hash(poisonSeed, key(e), seq(e)) & 0xff) < 43) {
                            throw new IllegalStateException("poison " + key(e) + "#" + seq(e));
                        }
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
                int total = keyCount * perKey;
                await("every event handled or in the queue", TRY_TIMEOUT,
                        () -> handled.get() + p.deadLetterDepth() == total
                                && log.admin().describeGroup("prop").totalLag() == 0);
                List<DeadLetter> queued = p.deadLetters().list();
                for (String k : keys) {
                    List<Integer> done = completed.getOrDefault(k, List.of());
                    List<Integer> rest = queued.stream().filter(d -> key(d.original()).equals(k))
                            .map(d -> seq(d.original())).toList();
                    assertThat(done).as("%s handled: a prefix", k)
                            .isEqualTo(IntStream.range(0, done.size()).boxed().toList());
                    assertThat(rest).as("%s queued: the rest, in order", k)
                            .isEqualTo(IntStream.range(done.size(), perKey).boxed().toList());
                    if (!rest.isEmpty()) {
                        assertThat(queued.stream().filter(d -> key(d.original()).equals(k)).findFirst()
                                .orElseThrow().status()).isEqualTo(DeadLetter.Status.DEAD);
                    }
                }
                assertThat(p.parkedKeyCount()).isEqualTo((int) queued.stream().map(d -> key(d.original()))
                        .distinct().count());

                fixed.set(true);
                p.deadLetters().redrive(DeadLetterSelection.all());
                produce(log, "t", keys, perKey, perKey + lateEvents);
                int all = keyCount * (perKey + lateEvents);
                await("everything handled after the redrive", TRY_TIMEOUT,
                        () -> handled.get() >= all && p.deadLetterDepth() == 0);
                assertThat(p.failure()).isEmpty();
            }
            assertThat(overlaps).as("a key ran in two calls at once").hasValue(0);
            assertThat(handled.get()).isEqualTo(keyCount * (perKey + lateEvents));
            List<Integer> expected = IntStream.range(0, perKey + lateEvents).boxed().toList();
            for (String k : keys) {
                assertThat(completed.get(k)).as(k).containsExactlyElementsOf(expected);
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
