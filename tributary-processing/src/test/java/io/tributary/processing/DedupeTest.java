package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link Dedupe#wrap} with the embedded store, on the embedded log: a redelivered event's handler runs once. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DedupeTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private EmbeddedDedupeStore store() {
        return EmbeddedDedupeStore.open(dir.resolve("dedupe/claims.tdds"), EmbeddedDedupeConfig.defaults());
    }

    /** Runs a processor of group {@code group} until it handled {@code expected} calls in total, then closes it. */
    private static void runUntil(EventLog log, String group, EventHandler handler, AtomicInteger calls, int expected)
            throws Exception {
        try (Processor p = Processor.start(log, config(group, "orders"), e -> {
            calls.incrementAndGet();
            handler.handle(e);
        })) {
            await(expected + " calls", WAIT, () -> calls.get() >= expected);
            await("committed", WAIT, () -> log.admin().describeGroup(group).totalLag() == 0);
        }
    }

    @Test
    void runsTheHandlerOncePerEventWhenTheEventsAreDeliveredAgain() throws Exception {
        try (EventLog log = openLog(dir.resolve("log")); EmbeddedDedupeStore store = store()) {
            createTopic(log, "orders", 2);
            produce(log, "orders", List.of("a", "b", "c"), 10);
            Map<String, Integer> applied = new ConcurrentHashMap<>();
            EventHandler effect = e -> applied.merge(e.topicPartition() + "@" + e.offset(), 1, Integer::sum);

            runUntil(log, "g1", Dedupe.wrap(store, "billing", effect), new AtomicInteger(), 30);
            assertThat(applied).hasSize(30);
            // A second group reads every event again, as a redelivery after a crash would; the claims skip them all.
            AtomicInteger calls = new AtomicInteger();
            runUntil(log, "g2", Dedupe.wrap(store, "billing", effect), calls, 30);
            assertThat(calls).hasValue(30);
            assertThat(applied.values()).as("each applied once").allMatch(n -> n == 1).hasSize(30);
            // Claims are kept per processor name: another processor applies them for itself.
            runUntil(log, "g3", Dedupe.wrap(store, "shipping", effect), new AtomicInteger(), 30);
            assertThat(applied.values()).allMatch(n -> n == 2);
        }
    }

    @Test
    void aFailedAttemptReleasesItsClaimSoTheRetryRunsTheHandler() throws Exception {
        try (EventLog log = openLog(dir.resolve("log")); EmbeddedDedupeStore store = store()) {
            createTopic(log, "orders", 1);
            produce(log, "orders", List.of("a"), 10);
            AtomicInteger failures = new AtomicInteger();
            Map<Integer, Integer> applied = new ConcurrentHashMap<>();
            ProcessorConfig cfg = config("g", "orders").withRetry(RetryPolicy.defaults()
                    .withBackoff(Duration.ofMillis(5), Duration.ofMillis(5)));
            try (Processor p = Processor.start(log, cfg, Dedupe.wrap(store, "billing", e -> {
                if (seq(e) == 4 && failures.incrementAndGet() == 1) {
                    throw new IllegalStateException("transient");
                }
                applied.merge(seq(e), 1, Integer::sum);
            }))) {
                await("all applied", WAIT, () -> applied.size() == 10);
            }
            assertThat(failures).hasValue(2);
            assertThat(applied.values()).allMatch(n -> n == 1);
        }
    }

    @Test
    void anEventIsIdentifiedByItsEventIdHeaderWhereverItWasAppendedAndElseByItsPosition() throws Exception {
        try (EventLog log = openLog(dir.resolve("log")); EmbeddedDedupeStore store = store()) {
            createTopic(log, "orders", 1);
            UUID id = UUID.randomUUID();
            Headers withId = Headers.of(Header.ofString(StandardHeaders.EVENT_ID, id.toString()));
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < 2; i++) { // the same event published twice (e.g. a producer retry)
                    producer.append("orders", 0, Record.of("k".getBytes(StandardCharsets.UTF_8),
                            "dup".getBytes(StandardCharsets.UTF_8), withId)).get();
                }
                producer.append("orders", 0, Record.of("k".getBytes(StandardCharsets.UTF_8),
                        "x".getBytes(StandardCharsets.UTF_8))).get();
                producer.append("orders", 0, Record.of("k".getBytes(StandardCharsets.UTF_8),
                        "x".getBytes(StandardCharsets.UTF_8))).get();
            }
            Map<String, Integer> applied = new ConcurrentHashMap<>();
            AtomicInteger calls = new AtomicInteger();
            runUntil(log, "g", Dedupe.wrap(store, "billing",
                    e -> applied.merge(new String(e.value(), StandardCharsets.UTF_8), 1, Integer::sum)), calls, 4);
            assertThat(applied).containsEntry("dup", 1).containsEntry("x", 2);
            assertThat(store.isHandled("billing", id)).isTrue();
        }
    }
}
