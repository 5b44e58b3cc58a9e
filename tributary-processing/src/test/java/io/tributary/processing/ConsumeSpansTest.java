package io.tributary.processing;

import static io.tributary.processing.Traces.traceHeaders;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ConsumeSpansTest {

    @Test
    void aSingleEventsSpanIsAChildOfItsProducersSpan() {
        try (Traces traces = new Traces()) {
            Span send = traces.producerSpan("send");

            consume(traces, List.of(traceHeaders(send))).end();

            SpanData consume = consumeSpan(traces);
            assertThat(consume.getTraceId()).isEqualTo(send.getSpanContext().getTraceId());
            assertThat(consume.getParentSpanId()).isEqualTo(send.getSpanContext().getSpanId());
            assertThat(consume.getLinks()).isEmpty();
        }
    }

    @Test
    void aSingleEventWithoutOrWithAMalformedTraceparentStartsANewTrace() {
        try (Traces traces = new Traces()) {
            Headers malformed = Headers.empty().with(StandardHeaders.TRACEPARENT, "00-not-a-trace-01");

            assertThat(ConsumeSpans.producerSpan(Headers.empty()).isValid()).isFalse();
            assertThat(ConsumeSpans.producerSpan(malformed).isValid()).isFalse();
            consume(traces, List.of(malformed)).end();

            assertThat(consumeSpan(traces).getParentSpanContext().isValid()).isFalse();
        }
    }

    @Test
    void aBatchsSpanStartsANewTraceLinkedOnceToEachDistinctProducerSpan() {
        try (Traces traces = new Traces()) {
            Span a = traces.producerSpan("send a");
            Span b = traces.producerSpan("send b");

            consume(traces, List.of(traceHeaders(a), Headers.empty(), traceHeaders(b), traceHeaders(a))).end();

            SpanData consume = consumeSpan(traces);
            assertThat(consume.getParentSpanContext().isValid()).isFalse();
            assertThat(consume.getLinks()).extracting(link -> link.getSpanContext().getSpanId())
                    .containsExactly(a.getSpanContext().getSpanId(), b.getSpanContext().getSpanId());
        }
    }

    @Test
    void aFailedSpanRecordsTheExceptionItsTypeAndAnErrorStatus() {
        try (Traces traces = new Traces()) {
            Span span = consume(traces, List.of(Headers.empty()));

            ConsumeSpans.failed(span, new IllegalStateException("boom"));
            span.end();

            SpanData consume = consumeSpan(traces);
            assertThat(consume.getAttributes().get(ConsumeSpans.ERROR_TYPE))
                    .isEqualTo(IllegalStateException.class.getName());
            assertThat(consume.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(consume.getStatus().getDescription()).isEqualTo("boom");
            assertThat(consume.getEvents()).anyMatch(e -> e.getName().equals("exception"));
        }
    }

    @Test
    void anEmptyBatchIsRejected() {
        try (Traces traces = new Traces()) {
            assertThatThrownBy(() -> ConsumeSpans.parentOrLinks(
                    traces.otel.getTracer("test").spanBuilder("process"), List.<Headers>of(), Function.identity()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("non-empty");
        }
    }

    private static Span consume(Traces traces, List<Headers> events) {
        return ConsumeSpans.parentOrLinks(traces.otel.getTracer("test").spanBuilder("process orders")
                .setSpanKind(SpanKind.CONSUMER), events, Function.identity()).startSpan();
    }

    private static SpanData consumeSpan(Traces traces) {
        return traces.exporter.getFinishedSpanItems().stream().filter(s -> s.getKind() == SpanKind.CONSUMER)
                .findFirst().orElseThrow();
    }
}
