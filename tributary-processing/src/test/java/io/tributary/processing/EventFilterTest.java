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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link ProcessorConfig#withEventFilter}: filtered events reach no handler, and commit like handled ones. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EventFilterTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    @Test
    void callsTheHandlerOnlyWithAcceptedEventsAndCommitsPastTheFilteredOnes() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a", "b"), 10);   // 20 events; the filter keeps even sequence numbers
            List<String> handled = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = config("billing", "orders").withEventFilter(e -> seq(e) % 2 == 0);
            try (Processor p = Processor.start(log, cfg, e -> handled.add(key(e) + "#" + seq(e)))) {
                await("every event committed", WAIT, () -> committed(log, "billing", tp) == 20);
                assertThat(p.failure()).isEmpty();
            }
            assertThat(handled).containsExactlyInAnyOrder("a#0", "a#2", "a#4", "a#6", "a#8",
                    "b#0", "b#2", "b#4", "b#6", "b#8");
        }
    }

    @Test
    void neverCommitsAFilteredEventPastAnAcceptedEventStillBeingHandled() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("skip"), 3);     // offsets 0..2, filtered: committed at once
            produce(log, "orders", List.of("stuck"), 1);    // offset 3, accepted, held until released
            produce(log, "orders", List.of("skip"), 3, 13); // offsets 4..13, filtered, above the stuck one
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger calls = new AtomicInteger();
            ProcessorConfig cfg = config("billing", "orders").withEventFilter(e -> key(e).equals("stuck"));
            try (Processor p = Processor.start(log, cfg, e -> {
                calls.incrementAndGet();
                release.await();
            })) {
                await("the filtered events below the stuck one committed", WAIT,
                        () -> committed(log, "billing", tp) == 3);
                Thread.sleep(200);   // ten commit intervals with ten filtered events above the stuck one
                assertThat(committed(log, "billing", tp)).isEqualTo(3);
                release.countDown();
                await("everything committed once the stuck event completed", WAIT,
                        () -> committed(log, "billing", tp) == 14);
            }
            assertThat(calls).hasValue(1);
        }
    }

    @Test
    void stopsNamingTheFilterAndTheEventWhenTheFilterThrows() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            createTopic(log, "orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            produce(log, "orders", List.of("a"), 10);
            List<String> handled = new CopyOnWriteArrayList<>();
            ProcessorConfig cfg = config("billing", "orders").withEventFilter(new Predicate<LogRecord>() {
                @Override
                public boolean test(LogRecord e) {
                    if (seq(e) == 6) {
                        throw new IllegalArgumentException("unreadable header");
                    }
                    return true;
                }

                @Override
                public String toString() {
                    return "header-check";
                }
            });
            try (Processor p = Processor.start(log, cfg, e -> handled.add(key(e) + "#" + seq(e)))) {
                await("the processor stopped", WAIT, () -> p.failure().isPresent());
                ProcessorFailure f = p.failure().orElseThrow();
                assertThat(f.message()).contains("event filter (header-check) threw on orders/0@6")
                        .contains("unreadable header").doesNotContain("reading the log failed");
                assertThat(f.partition()).contains(tp);
                assertThat(f.offset()).hasValue(6);
            }
            assertThat(handled).doesNotContain("a#6", "a#7", "a#8", "a#9");
        }
    }
}
