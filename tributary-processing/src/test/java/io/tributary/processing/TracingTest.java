package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Traces.event;
import static io.tributary.processing.Traces.ids;
import static io.tributary.processing.Traces.traceHeaders;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tributary.core.Headers;
import io.tributary.log.EventLog;
import io.tributary.log.LogProducer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Consume spans through the OpenTelemetry API, checked with the SDK's in-memory exporter. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TracingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static List<SpanData> consumeSpans(Traces traces) {
        return traces.exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CONSUMER).toList();
    }

    @Test
    void consumeSpanIsAChildOfTheProducerSpanNamedByTheTraceparentHeader() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            Span send = traces.producerSpan("send orders");
            try (LogProducer producer = log.producer()) {
                producer.append("orders", event("k", "v", traceHeaders(send).with(
                        io.tributary.core.StandardHeaders.EVENT_ID, "0190a8f4-0000-7000-8000-000000000001")))
                        .get(10, TimeUnit.SECONDS);
            }
            AtomicReference<SpanContext> inHandler = new AtomicReference<>();
            ProcessorConfig cfg = Fixtures.config("shipping", "orders").withOpenTelemetry(traces.otel);
            try (Processor p = Processor.start(log, cfg, e -> inHandler.set(Span.current().getSpanContext()))) {
                await("consume span exported", WAIT, () -> consumeSpans(traces).size() == 1);
            }
            SpanData consume = consumeSpans(traces).getFirst();
            assertThat(consume.getName()).isEqualTo("process orders");
            assertThat(consume.getTraceId()).isEqualTo(send.getSpanContext().getTraceId());
            assertThat(consume.getParentSpanId()).isEqualTo(send.getSpanContext().getSpanId());
            assertThat(consume.getParentSpanContext().isRemote()).isTrue();
            assertThat(inHandler.get()).as("the consume span is current while the handler runs")
                    .isEqualTo(consume.getSpanContext());
            var a = consume.getAttributes();
            assertThat(a.get(AttributeKey.stringKey("messaging.system"))).isEqualTo("tributary");
            assertThat(a.get(AttributeKey.stringKey("messaging.operation.type"))).isEqualTo("process");
            assertThat(a.get(AttributeKey.stringKey("messaging.destination.name"))).isEqualTo("orders");
            assertThat(a.get(AttributeKey.stringKey("messaging.destination.partition.id"))).isEqualTo("0");
            assertThat(a.get(AttributeKey.longKey("messaging.kafka.offset"))).isEqualTo(0L);
            assertThat(a.get(AttributeKey.stringKey("messaging.consumer.group.name"))).isEqualTo("shipping");
            assertThat(a.get(AttributeKey.stringKey("messaging.message.id")))
                    .isEqualTo("0190a8f4-0000-7000-8000-000000000001");
            assertThat(consume.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        }
    }

    @Test
    void eventWithoutTraceparentStartsANewTrace() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            try (LogProducer producer = log.producer()) {
                producer.append("orders", event("k", "v", Headers.empty())).get(10, TimeUnit.SECONDS);
            }
            try (Processor p = Processor.start(log, Fixtures.config("shipping", "orders")
                    .withOpenTelemetry(traces.otel), e -> { })) {
                await("consume span exported", WAIT, () -> consumeSpans(traces).size() == 1);
            }
            SpanData consume = consumeSpans(traces).getFirst();
            assertThat(consume.getParentSpanContext().isValid()).isFalse();
            assertThat(consume.getLinks()).isEmpty();
        }
    }

    @Test
    void batchSpanLinksTheProducerSpanOfEveryEventItHolds() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            List<Span> sends = List.of(traces.producerSpan("send 1"), traces.producerSpan("send 2"),
                    traces.producerSpan("send 3"));
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < 3; i++) {
                    producer.append("orders", 0, event("k" + i, "v", traceHeaders(sends.get(i))));
                }
                producer.append("orders", 0, event("k3", "v", traceHeaders(sends.get(2)))).get(10, TimeUnit.SECONDS);
            }
            AtomicInteger handled = new AtomicInteger();
            ProcessorConfig cfg = Fixtures.config("shipping", "orders").withOpenTelemetry(traces.otel)
                    .withBatching(10, 1 << 20, Duration.ofMillis(200));
            try (Processor p = Processor.startBatched(log, cfg, events -> handled.addAndGet(events.size()))) {
                await("4 handled", WAIT, () -> handled.get() == 4);
                await("batch span exported", WAIT, () -> !consumeSpans(traces).isEmpty());
            }
            assertThat(consumeSpans(traces)).as("one span for the one batch").hasSize(1);
            SpanData batch = consumeSpans(traces).getFirst();
            assertThat(batch.getParentSpanContext().isValid()).as("a batch has no single parent").isFalse();
            assertThat(batch.getLinks()).map(LinkData::getSpanContext).map(SpanContext::getSpanId)
                    .containsExactlyInAnyOrderElementsOf(sends.stream().map(s -> s.getSpanContext().getSpanId())
                            .toList());
            assertThat(batch.getAttributes().get(AttributeKey.longKey("messaging.batch.message_count")))
                    .isEqualTo(4L);
        }
    }

    @Test
    void everyAttemptHasASpanAndFailedOnesAreMarkedAsErrors() throws Exception {
        try (Traces traces = new Traces(); EventLog log = openLog(dir)) {
            createTopic(log, "orders", 1);
            Span send = traces.producerSpan("send orders");
            try (LogProducer producer = log.producer()) {
                producer.append("orders", event("k", "v", traceHeaders(send).with(ids("e-1", null).all().getFirst())))
                        .get(10, TimeUnit.SECONDS);
            }
            AtomicBoolean failed = new AtomicBoolean();
            ProcessorConfig cfg = Fixtures.config("shipping", "orders").withOpenTelemetry(traces.otel)
                    .withRetry(RetryPolicy.defaults().withBackoff(Duration.ofMillis(1), Duration.ofMillis(1)));
            try (Processor p = Processor.start(log, cfg, e -> {
                if (failed.compareAndSet(false, true)) {
                    throw new IllegalStateException("database briefly down");
                }
            })) {
                await("two attempt spans", WAIT, () -> consumeSpans(traces).size() == 2);
            }
            List<SpanData> spans = consumeSpans(traces);
            SpanData first = spans.stream().filter(s -> s.getAttributes()
                    .get(AttributeKey.longKey("tributary.processor.attempt")) == 1L).findFirst().orElseThrow();
            SpanData second = spans.stream().filter(s -> s.getAttributes()
                    .get(AttributeKey.longKey("tributary.processor.attempt")) == 2L).findFirst().orElseThrow();
            assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(first.getAttributes().get(AttributeKey.stringKey("error.type")))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(first.getEvents()).anyMatch(ev -> ev.getName().equals("exception"));
            assertThat(second.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
            assertThat(spans).allMatch(s -> s.getParentSpanId().equals(send.getSpanContext().getSpanId()));
        }
    }
}
