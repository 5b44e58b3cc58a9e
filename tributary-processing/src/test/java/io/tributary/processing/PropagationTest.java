package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Traces.event;
import static io.tributary.processing.Traces.ids;
import static io.tributary.processing.Traces.readAll;
import static io.tributary.processing.Traces.traceHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.core.TributaryException;
import io.tributary.log.AppendCallback;
import io.tributary.log.AppendResult;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/**
 * Correlation id, causation id and traceparent flow from a handled event to what its handler produces, and the MDC
 * names the handled event while the handler runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PropagationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static String header(LogRecord r, String name) {
        return r.headers().lastString(name).orElse(null);
    }

    /** Runs a processor over "in" whose handler appends one event to "out" per handled event, then reads "out". */
    private static List<LogRecord> forward(EventLog log, ProcessorConfig cfg, int count,
                                           java.util.function.Function<LogRecord, Record> output) throws Exception {
        AtomicInteger handled = new AtomicInteger();
        try (LogProducer out = ProcessingContext.producer(log.producer());
             Processor p = Processor.start(log, cfg, e -> {
                 out.append("out", 0, output.apply(e)).get(10, TimeUnit.SECONDS);
                 handled.incrementAndGet();
             })) {
            await(count + " handled", WAIT, () -> handled.get() == count);
        }
        return readAll(log, "out", count);
    }

    @Test
    void producedEventsCarryTheHandledEventsCorrelationCausationAndTheConsumeSpan() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            Span send = traces.producerSpan("send in");
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", "order-42")
                        .with(traceHeaders(send).all().getFirst())));
                producer.append("in", event("k", "b", ids("e-2", null))).get(10, TimeUnit.SECONDS);
            }
            List<LogRecord> out = forward(log, Fixtures.config("enricher", "in").withOpenTelemetry(traces.otel), 2,
                    e -> event("k", "derived", Headers.empty()));

            LogRecord fromFirst = out.get(0);
            assertThat(header(fromFirst, StandardHeaders.CORRELATION_ID)).isEqualTo("order-42");
            assertThat(header(fromFirst, StandardHeaders.CAUSATION_ID)).isEqualTo("e-1");
            assertThat(fromFirst.headers().eventId()).as("a fresh id so its own consumers can name it as cause")
                    .isPresent();
            SpanData consume = traces.exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getKind() == SpanKind.CONSUMER && s.getTraceId().equals(send.getSpanContext()
                            .getTraceId())).findFirst().orElseThrow();
            assertThat(header(fromFirst, StandardHeaders.TRACEPARENT))
                    .isEqualTo("00-" + consume.getTraceId() + "-" + consume.getSpanId() + "-"
                            + consume.getSpanContext().getTraceFlags().asHex());

            LogRecord fromSecond = out.get(1);
            assertThat(header(fromSecond, StandardHeaders.CORRELATION_ID))
                    .as("an event without a correlation id started its flow: its own id correlates")
                    .isEqualTo("e-2");
            assertThat(header(fromSecond, StandardHeaders.CAUSATION_ID)).isEqualTo("e-2");
            assertThat(fromSecond.headers().eventId()).isNotEqualTo(fromFirst.headers().eventId());
        }
    }

    @Test
    void theCallbackFormIsStampedAndKeepsTheDelegatesCallbackForm() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", "order-42"))).get(10, TimeUnit.SECONDS);
            }
            AtomicInteger callbackAppends = new AtomicInteger();
            AtomicInteger futureAppends = new AtomicInteger();
            LogProducer real = log.producer();
            // Forwards to the real producer, counting which append form the correlating producer called.
            LogProducer counting = new LogProducer() {
                @Override
                public CompletableFuture<AppendResult> append(String topic, Record record) {
                    futureAppends.incrementAndGet();
                    return real.append(topic, record);
                }

                @Override
                public CompletableFuture<AppendResult> append(String topic, int partition, Record record) {
                    futureAppends.incrementAndGet();
                    return real.append(topic, partition, record);
                }

                @Override
                public void append(String topic, Record record, AppendCallback callback) {
                    callbackAppends.incrementAndGet();
                    real.append(topic, record, callback);
                }

                @Override
                public void append(String topic, int partition, Record record, AppendCallback callback) {
                    callbackAppends.incrementAndGet();
                    real.append(topic, partition, record, callback);
                }

                @Override
                public CompletableFuture<List<AppendResult>> appendAll(String topic, List<Record> records) {
                    return real.appendAll(topic, records);
                }

                @Override
                public void flush() {
                    real.flush();
                }

                @Override
                public void close() {
                    real.close();
                }
            };
            AtomicInteger handled = new AtomicInteger();
            try (LogProducer out = ProcessingContext.producer(counting);
                 Processor p = Processor.start(log, Fixtures.config("enricher", "in"), e -> {
                     CompletableFuture<AppendResult> keyed = new CompletableFuture<>();
                     CompletableFuture<AppendResult> placed = new CompletableFuture<>();
                     out.append("out", event("k", "keyed", Headers.empty()), (r, x) -> complete(keyed, r, x));
                     out.append("out", 0, event("k", "placed", Headers.empty()), (r, x) -> complete(placed, r, x));
                     keyed.get(10, TimeUnit.SECONDS);
                     placed.get(10, TimeUnit.SECONDS);
                     handled.incrementAndGet();
                 })) {
                await("1 handled", WAIT, () -> handled.get() == 1);
            }
            assertThat(callbackAppends).as("both appends kept the callback form").hasValue(2);
            assertThat(futureAppends).as("none went through a future").hasValue(0);
            List<LogRecord> out = readAll(log, "out", 2);
            assertThat(out).allSatisfy(r -> {
                assertThat(header(r, StandardHeaders.CORRELATION_ID)).isEqualTo("order-42");
                assertThat(header(r, StandardHeaders.CAUSATION_ID)).isEqualTo("e-1");
            });
        }
    }

    private static void complete(CompletableFuture<AppendResult> f, AppendResult result, TributaryException error) {
        if (error != null) {
            f.completeExceptionally(error);
        } else {
            f.complete(result);
        }
    }

    @Test
    void headersTheHandlerSetsExplicitlyWin() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", "order-42"))).get(10, TimeUnit.SECONDS);
            }
            String mine = UUID.randomUUID().toString();
            String theirTrace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
            List<LogRecord> out = forward(log, Fixtures.config("enricher", "in"), 1, e -> event("k", "derived",
                    Headers.empty().with(StandardHeaders.CORRELATION_ID, "mine").with(StandardHeaders.EVENT_ID, mine)
                            .with(StandardHeaders.TRACEPARENT, theirTrace)));
            LogRecord r = out.getFirst();
            assertThat(r.headers().all(StandardHeaders.CORRELATION_ID)).hasSize(1);
            assertThat(header(r, StandardHeaders.CORRELATION_ID)).isEqualTo("mine");
            assertThat(header(r, StandardHeaders.EVENT_ID)).isEqualTo(mine);
            assertThat(header(r, StandardHeaders.CAUSATION_ID)).as("not set by the handler, so stamped")
                    .isEqualTo("e-1");
            assertThat(header(r, StandardHeaders.TRACEPARENT)).isEqualTo(theirTrace);
        }
    }

    @Test
    void withTracingOffTheHandledEventsTraceparentIsPassedOn() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            String incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", null).with(StandardHeaders.TRACEPARENT, incoming)))
                        .get(10, TimeUnit.SECONDS);
            }
            List<LogRecord> out = forward(log, Fixtures.config("enricher", "in")
                    .withOpenTelemetry(OpenTelemetry.noop()), 1, e -> event("k", "derived", Headers.empty()));
            assertThat(header(out.getFirst(), StandardHeaders.TRACEPARENT)).isEqualTo(incoming);
        }
    }

    @Test
    void inABatchOnlyOutputsWithANamedCauseGetCorrelationAndCausation() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("a", "1", ids("e-1", "c-1")));
                producer.append("in", event("b", "2", ids("e-2", "c-2"))).get(10, TimeUnit.SECONDS);
            }
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("aggregator", "in").withBatching(10, 1 << 20, Duration.ofMillis(200));
            try (LogProducer out = ProcessingContext.producer(log.producer());
                 Processor p = Processor.startBatched(log, cfg, events -> {
                     ProcessingContext ctx = ProcessingContext.current().orElseThrow();
                     for (LogRecord e : events) {
                         ctx.causedBy(e).call(() -> out.append("out", 0, event("x", "per-event", Headers.empty()))
                                 .get(10, TimeUnit.SECONDS));
                     }
                     out.append("out", 0, event("x", "summary", Headers.empty())).get(10, TimeUnit.SECONDS);
                     handled.addAndGet(events.size());
                 })) {
                await("2 handled", WAIT, () -> handled.get() == 2);
            }
            List<LogRecord> out = readAll(log, "out", 3);
            assertThat(out).as("one batch of both events").extracting(r -> new String(r.value())).containsExactly(
                    "per-event", "per-event", "summary");
            assertThat(out.subList(0, 2)).extracting(r -> header(r, StandardHeaders.CAUSATION_ID))
                    .containsExactly("e-1", "e-2");
            assertThat(out.subList(0, 2)).extracting(r -> header(r, StandardHeaders.CORRELATION_ID))
                    .containsExactly("c-1", "c-2");
            LogRecord summary = out.get(2);
            assertThat(header(summary, StandardHeaders.CAUSATION_ID)).as("no single cause").isNull();
            assertThat(header(summary, StandardHeaders.CORRELATION_ID)).isNull();
            assertThat(summary.headers().eventId()).isPresent();
        }
    }

    @Test
    void aCapturedContextStampsWhatAnotherThreadProducesInsideRun() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            createTopic(log, "out", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", "order-42"))).get(10, TimeUnit.SECONDS);
            }
            AtomicInteger handled = new AtomicInteger();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try (LogProducer out = ProcessingContext.producer(log.producer());
                 Processor p = Processor.start(log, Fixtures.config("fanout", "in").withOpenTelemetry(traces.otel),
                         e -> {
                             ProcessingContext ctx = ProcessingContext.current().orElseThrow();
                             pool.submit(() -> {
                                 // Not bound on the pool's thread until run(...) binds it.
                                 out.append("out", 0, event("k", "unbound", Headers.empty())).join();
                                 ctx.run(() -> out.append("out", 0, event("k", "bound", Headers.empty())).join());
                             }).get(10, TimeUnit.SECONDS);
                             handled.incrementAndGet();
                         })) {
                await("1 handled", WAIT, () -> handled.get() == 1);
            } finally {
                pool.shutdownNow();
            }
            List<LogRecord> out = readAll(log, "out", 2);
            assertThat(out.get(0).headers().isEmpty()).isTrue();
            LogRecord bound = out.get(1);
            assertThat(header(bound, StandardHeaders.CORRELATION_ID)).isEqualTo("order-42");
            assertThat(header(bound, StandardHeaders.CAUSATION_ID)).isEqualTo("e-1");
            SpanData consume = traces.exporter.getFinishedSpanItems().stream()
                    .filter(s -> s.getKind() == SpanKind.CONSUMER).findFirst().orElseThrow();
            assertThat(header(bound, StandardHeaders.TRACEPARENT)).contains(consume.getSpanId());
        }
    }

    @Test
    void recordsAppendedOutsideAHandlerPassThroughUnchanged() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "out", 1);
            try (LogProducer out = ProcessingContext.producer(log.producer())) {
                out.append("out", 0, event("k", "v", Headers.empty())).get(10, TimeUnit.SECONDS);
                out.appendAll("out", List.of(event("k", "w", Headers.empty()))).get(10, TimeUnit.SECONDS);
            }
            assertThat(readAll(log, "out", 2)).allMatch(r -> r.headers().isEmpty());
            assertThat(ProcessingContext.current()).isEmpty();
        }
    }

    @Test
    void mdcNamesTheHandledEventWhileTheHandlerRuns() throws Exception {
        try (EventLog log = openLog(dir)) {
            createTopic(log, "in", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("in", event("k", "a", ids("e-1", "order-42")));
                producer.append("in", event("k", "b", ids("e-2", null))).get(10, TimeUnit.SECONDS);
            }
            Map<Long, Map<String, String>> seen = new ConcurrentHashMap<>();
            try (Processor p = Processor.start(log, Fixtures.config("auditor", "in"),
                    e -> seen.put(e.offset(), MDC.getCopyOfContextMap()))) {
                await("2 handled", WAIT, () -> seen.size() == 2);
            }
            assertThat(seen.get(0L)).containsEntry(ProcessingContext.MDC_CORRELATION_ID, "order-42")
                    .containsEntry(ProcessingContext.MDC_EVENT_ID, "e-1")
                    .containsEntry(ProcessingContext.MDC_TOPIC, "in")
                    .containsEntry(ProcessingContext.MDC_PARTITION, "0")
                    .containsEntry(ProcessingContext.MDC_OFFSET, "0")
                    .containsEntry(ProcessingContext.MDC_PROCESSOR, "auditor")
                    .containsEntry(ProcessingContext.MDC_BATCH_SIZE, "1");
            assertThat(seen.get(1L)).containsEntry(ProcessingContext.MDC_CORRELATION_ID, "e-2")
                    .containsEntry(ProcessingContext.MDC_OFFSET, "1");
        }
    }
}
