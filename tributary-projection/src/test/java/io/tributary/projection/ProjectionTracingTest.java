package io.tributary.projection;

import static io.tributary.projection.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.processing.ProcessingContext;
import io.tributary.processing.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.MDC;

/**
 * A projection's consume spans (checked with the OpenTelemetry SDK's in-memory exporter), the processing context its
 * handler runs in, and the MDC, on a real embedded log and event store with an H2 read model.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProjectionTracingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    private final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();
    private final TestDatabase db = TestDatabase.H2;
    private final String prefix = TestDatabase.unique("tp");
    private final String table = TestDatabase.unique("seen");

    @AfterEach
    void cleanUp() {
        otel.close();
        db.drop(prefix, List.of(table + "_v1"));
    }

    private Span producerSpan(String name) {
        Span span = otel.getTracer("test-producer").spanBuilder(name).setSpanKind(SpanKind.PRODUCER).startSpan();
        span.end();
        return span;
    }

    /** The W3C headers of {@code span}, as a producer's instrumentation would write them. */
    private static Headers traceHeaders(Span span) {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
        List<Header> headers = new ArrayList<>();
        carrier.forEach((k, v) -> headers.add(Header.ofString(k, v)));
        return Headers.of(headers);
    }

    private List<SpanData> consumeSpans() {
        return exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
    }

    private ProjectionConfig traced(String name) {
        return ProjectionConfig.of(name).withCatalogPrefix(prefix).withPollTimeout(Duration.ofMillis(20))
                .withOpenTelemetry(otel);
    }

    private static Record event(String value, Headers headers) {
        return Record.of(null, value.getBytes(StandardCharsets.UTF_8), headers);
    }

    @Test
    void aBatchOfOneEventIsAChildOfTheProducerSpanNamedByItsTraceparent() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 1);
            Span send = producerSpan("send orders");
            Headers headers = traceHeaders(send).with(StandardHeaders.EVENT_ID, "0190a8f4-0000-7000-8000-000000000001")
                    .with(StandardHeaders.CORRELATION_ID, "checkout-7");
            try (LogProducer producer = log.producer()) {
                producer.append("orders", 0, event("e0", headers)).get(10, TimeUnit.SECONDS);
            }
            AtomicReference<SpanContext> current = new AtomicReference<>();
            AtomicReference<Headers> stamped = new AtomicReference<>();
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionHandler<LogRecord> handler = (events, ctx) -> {
                current.set(Span.current().getSpanContext());
                stamped.set(ProcessingContext.current().orElseThrow().stamp(Headers.empty()));
                rows.apply(events, ctx);
            };
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), handler, traced("shipping-view"))) {
                await("consume span exported", WAIT, () -> consumeSpans().size() == 1);
            }
            SpanData consume = consumeSpans().getFirst();
            assertThat(consume.getName()).isEqualTo("process orders");
            assertThat(consume.getTraceId()).isEqualTo(send.getSpanContext().getTraceId());
            assertThat(consume.getParentSpanId()).isEqualTo(send.getSpanContext().getSpanId());
            assertThat(consume.getParentSpanContext().isRemote()).isTrue();
            assertThat(consume.getInstrumentationScopeInfo().getName()).isEqualTo("io.tributary.projection");
            assertThat(current.get()).as("the consume span is current while the handler runs")
                    .isEqualTo(consume.getSpanContext());
            var a = consume.getAttributes();
            assertThat(a.get(AttributeKey.stringKey("messaging.system"))).isEqualTo("tributary");
            assertThat(a.get(AttributeKey.stringKey("messaging.operation.type"))).isEqualTo("process");
            assertThat(a.get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo("orders");
            assertThat(a.get(AttributeKey.stringKey("messaging.destination.partition.id"))).isEqualTo("0");
            assertThat(a.get(AttributeKey.stringKey("messaging.consumer.group.name"))).isEqualTo("shipping-view");
            assertThat(a.get(AttributeKey.stringKey("messaging.message.id")))
                    .isEqualTo("0190a8f4-0000-7000-8000-000000000001");
            assertThat(a.get(AttributeKey.longKey("tributary.projection.position"))).isZero();
            assertThat(a.get(AttributeKey.longKey("tributary.projection.version"))).isEqualTo(1L);
            assertThat(a.get(AttributeKey.booleanKey("tributary.projection.replaying"))).isFalse();
            assertThat(a.get(AttributeKey.longKey("tributary.projection.attempt"))).isEqualTo(1L);
            assertThat(consume.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(stamped.get().correlationId()).as("what the handler produces carries the event's correlation")
                    .contains("checkout-7");
            assertThat(stamped.get().causationId()).contains("0190a8f4-0000-7000-8000-000000000001");
            assertThat(stamped.get().traceparent()).get().asString().contains(consume.getSpanId());
        }
    }

    @Test
    void aBatchSpanStartsANewTraceLinkedToTheProducerSpanOfEveryEventItHolds() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 1);
            List<Span> sends = List.of(producerSpan("send 1"), producerSpan("send 2"), producerSpan("send 3"));
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < 3; i++) {
                    producer.append("orders", 0, event("e" + i, traceHeaders(sends.get(i))));
                }
                producer.append("orders", 0, event("e3", traceHeaders(sends.get(2)))).get(10, TimeUnit.SECONDS);
            }
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), Fixtures.insertRows(table), traced("batched"))) {
                assertThat(p.awaitCaughtUp(WAIT)).isTrue();
                await("batch span exported", WAIT, () -> !consumeSpans().isEmpty());
            }
            assertThat(consumeSpans()).as("the 4 events were read as one batch, one transaction").hasSize(1);
            SpanData batch = consumeSpans().getFirst();
            assertThat(batch.getParentSpanContext().isValid()).as("a batch has no single parent").isFalse();
            assertThat(batch.getLinks()).map(LinkData::getSpanContext).map(SpanContext::getSpanId)
                    .containsExactlyInAnyOrderElementsOf(sends.stream().map(s -> s.getSpanContext().getSpanId())
                            .toList());
            assertThat(batch.getAttributes().get(AttributeKey.longKey("messaging.batch.message_count")))
                    .isEqualTo(4L);
        }
    }

    @Test
    void anEventStoreEventsSpanIsAChildOfTheTraceparentInItsMetadata() throws Exception {
        try (EventLog log = Fixtures.openLog(dir.resolve("log"));
             EventStore store = EventStores.embedded(log, EmbeddedEventStoreConfig.of(dir.resolve("index")))) {
            Span send = producerSpan("place order");
            EventData placed = EventData.of("OrderPlaced", "o1".getBytes(StandardCharsets.UTF_8),
                    traceHeaders(send));
            store.append("order-1", ExpectedVersion.any(), placed);
            List<String> correlations = new CopyOnWriteArrayList<>();
            ProjectionHandler<RecordedEvent> handler = ProjectionHandler.perEvent((e, ctx) ->
                    correlations.add(ProcessingContext.current().orElseThrow().correlationId().orElse("none")));
            try (Projection<RecordedEvent> p = Projection.start(db.dataSource(), EventStoreSource.category(store,
                    "order"), Fixtures.rowsPerEvent(table), handler, traced("order-view"))) {
                await("consume span exported", WAIT, () -> consumeSpans().size() == 1);
            }
            SpanData consume = consumeSpans().getFirst();
            assertThat(consume.getName()).isEqualTo("process $all");
            assertThat(consume.getParentSpanId()).isEqualTo(send.getSpanContext().getSpanId());
            assertThat(consume.getTraceId()).isEqualTo(send.getSpanContext().getTraceId());
            assertThat(consume.getAttributes().get(AttributeKey.stringKey("messaging.message.id")))
                    .isEqualTo(placed.eventId().toString());
            assertThat(correlations).as("an event without a correlation id starts the flow: its id is the correlation")
                    .containsExactly(placed.eventId().toString());
        }
    }

    @Test
    void everyAttemptHasASpanAndFailedOnesAreMarkedAsErrors() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 1);
            Span send = producerSpan("send orders");
            try (LogProducer producer = log.producer()) {
                producer.append("orders", 0, event("e0", traceHeaders(send))).get(10, TimeUnit.SECONDS);
            }
            AtomicBoolean failed = new AtomicBoolean();
            ProjectionHandler<LogRecord> rows = Fixtures.insertRows(table);
            ProjectionConfig config = traced("retried")
                    .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(1)));
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), (events, ctx) -> {
                        rows.apply(events, ctx);
                        if (failed.compareAndSet(false, true)) {
                            throw new IllegalStateException("database briefly down");
                        }
                    }, config)) {
                await("two attempt spans", WAIT, () -> consumeSpans().size() == 2);
            }
            List<SpanData> spans = consumeSpans();
            SpanData first = spans.stream().filter(s -> s.getAttributes()
                    .get(AttributeKey.longKey("tributary.projection.attempt")) == 1L).findFirst().orElseThrow();
            SpanData second = spans.stream().filter(s -> s.getAttributes()
                    .get(AttributeKey.longKey("tributary.projection.attempt")) == 2L).findFirst().orElseThrow();
            assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(first.getAttributes().get(AttributeKey.stringKey("error.type")))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(first.getEvents()).anyMatch(ev -> ev.getName().equals("exception"));
            assertThat(second.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(spans).allMatch(s -> s.getParentSpanId().equals(send.getSpanContext().getSpanId()));
        }
    }

    @Test
    void aPerEventHandlerSeesEachEventsIdsInTheMdcAndTheBatchKeysAround() throws Exception {
        try (EventLog log = Fixtures.openLog(dir)) {
            Fixtures.createTopic(log, "orders", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("orders", 0, event("e0", Headers.empty().with(StandardHeaders.EVENT_ID, "id-0")
                        .with(StandardHeaders.CORRELATION_ID, "flow-a")));
                producer.append("orders", 0, event("e1", Headers.empty().with(StandardHeaders.EVENT_ID, "id-1")));
                producer.append("orders", 0, event("e2", traceHeaders(producerSpan("send"))
                        .with(StandardHeaders.EVENT_ID, "id-2").with(StandardHeaders.CORRELATION_ID, "flow-b")))
                        .get(10, TimeUnit.SECONDS);
            }
            List<Map<String, String>> seen = new CopyOnWriteArrayList<>();
            AtomicReference<Map<String, String>> afterEvents = new AtomicReference<>();
            ProjectionHandler<LogRecord> perEvent = ProjectionHandler.perEvent((e, ctx) -> {
                Map<String, String> m = MDC.getCopyOfContextMap();
                seen.add(m == null ? Map.of() : Map.copyOf(m));
            });
            ProjectionHandler<LogRecord> handler = (events, ctx) -> {
                perEvent.apply(events, ctx);
                Map<String, String> m = MDC.getCopyOfContextMap();
                afterEvents.set(m == null ? Map.of() : Map.copyOf(m));
            };
            try (Projection<LogRecord> p = Projection.start(db.dataSource(), new LogTopicSource(log, "orders"),
                    Fixtures.rowsPerEvent(table), handler, traced("mdc-view"))) {
                await("3 events seen", WAIT, () -> seen.size() == 3);
                assertThat(p.awaitCaughtUp(WAIT)).isTrue();
            }
            assertThat(seen).extracting(m -> m.get("correlationId"))
                    .as("each event's correlation id, or its own id when it starts the flow")
                    .containsExactly("flow-a", "id-1", "flow-b");
            assertThat(seen).extracting(m -> m.get("eventId")).containsExactly("id-0", "id-1", "id-2");
            assertThat(seen).extracting(m -> m.get("offset")).containsExactly("0", "1", "2");
            assertThat(seen).allSatisfy(m -> {
                assertThat(m).containsEntry("projection", "mdc-view").containsEntry("projectionVersion", "1")
                        .containsEntry("topic", "orders").containsEntry("partition", "0")
                        .containsEntry("batchSize", "3").containsKey("traceId").containsKey("spanId");
            });
            assertThat(afterEvents.get()).as("the batch's keys come back after the per-event ones")
                    .containsEntry("offset", "0").doesNotContainKey("eventId").doesNotContainKey("correlationId")
                    .containsEntry("projection", "mdc-view");
        }
    }
}
