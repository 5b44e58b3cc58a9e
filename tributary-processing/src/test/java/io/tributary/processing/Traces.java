package io.tributary.processing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Test plumbing for tracing and propagation: an in-memory OpenTelemetry SDK, producer spans, reading a topic back. */
final class Traces implements AutoCloseable {

    final InMemorySpanExporter exporter = InMemorySpanExporter.create();
    final OpenTelemetrySdk otel = OpenTelemetrySdk.builder()
            .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter))
                    .build())
            .build();

    /** Starts and ends a PRODUCER span, returning it; its context is what a producer would put in traceparent. */
    Span producerSpan(String name) {
        Span span = otel.getTracer("test-producer").spanBuilder(name).setSpanKind(SpanKind.PRODUCER).startSpan();
        span.end();
        return span;
    }

    /** The W3C headers of {@code span}, as a producer's instrumentation would write them. */
    static Headers traceHeaders(Span span) {
        Map<String, String> carrier = new HashMap<>();
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), carrier, Map::put);
        List<Header> headers = new ArrayList<>();
        carrier.forEach((k, v) -> headers.add(Header.ofString(k, v)));
        return Headers.of(headers);
    }

    static Record event(String key, String value, Headers headers) {
        return Record.of(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8), headers);
    }

    static Headers ids(String eventId, @Nullable String correlationId) {
        Headers h = Headers.empty().with(StandardHeaders.EVENT_ID, eventId);
        return correlationId == null ? h : h.with(StandardHeaders.CORRELATION_ID, correlationId);
    }

    /** Reads exactly {@code count} records from partition 0 of {@code topic}, from the beginning. */
    static List<LogRecord> readAll(EventLog log, String topic, int count) {
        List<LogRecord> out = new ArrayList<>();
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                out.addAll(c.poll(Duration.ofMillis(100)));
            }
        }
        if (out.size() != count) {
            throw new AssertionError("expected " + count + " records in " + topic + ", read " + out.size());
        }
        return out;
    }

    @Override
    public void close() {
        otel.close();
    }
}
