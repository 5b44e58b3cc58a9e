package io.tributary.processing.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.tributary.core.Header;
import io.tributary.core.StandardHeaders;
import io.tributary.log.LogRecord;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Makes one CONSUMER span per handler attempt (an event or a batch), following the OpenTelemetry messaging
 * conventions. A single event's span is a child of the producer's span named by the event's W3C {@code traceparent}
 * header; a batch's span is a new trace linked to each distinct producer span of its events. Only the OpenTelemetry
 * API is used; with no SDK installed every call is a cheap no-op. Thread-safe (spans are started on handler threads).
 */
final class ProcessorTracing {

    static final String INSTRUMENTATION_SCOPE = "io.tributary.processing";
    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<Long> BATCH_COUNT = AttributeKey.longKey("messaging.batch.message_count");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("tributary.processor.attempt");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** Reads W3C trace context headers ({@code traceparent}, {@code tracestate}) from a record. */
    private static final TextMapGetter<LogRecord> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(LogRecord carrier) {
            List<String> names = new ArrayList<>();
            for (Header h : carrier.headers().all()) {
                names.add(h.name());
            }
            return names;
        }

        @Override
        public @Nullable String get(@Nullable LogRecord carrier, String key) {
            return carrier == null ? null : carrier.headers().lastString(key).orElse(null);
        }
    };

    private final Tracer tracer;
    private final String group;

    ProcessorTracing(OpenTelemetry openTelemetry, String group) {
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
        this.group = group;
    }

    /** Starts the span of one attempt at {@code records} (one partition, offset order); the caller ends it. */
    Span start(List<LogRecord> records, int attempt) {
        LogRecord first = records.getFirst();
        SpanBuilder span = tracer.spanBuilder("process " + first.topic())
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(MESSAGING_SYSTEM, "tributary")
                .setAttribute(OPERATION_NAME, "process")
                .setAttribute(OPERATION_TYPE, "process")
                .setAttribute(DESTINATION, first.topic())
                .setAttribute(PARTITION, Integer.toString(first.partition()))
                .setAttribute(CONSUMER_GROUP, group)
                .setAttribute(OFFSET, first.offset())
                .setAttribute(ATTEMPT, (long) attempt);
        if (records.size() == 1) {
            first.headers().lastString(StandardHeaders.EVENT_ID).ifPresent(id -> span.setAttribute(MESSAGE_ID, id));
            SpanContext producer = producerSpan(first);
            if (producer.isValid()) {
                span.setParent(Context.root().with(Span.wrap(producer)));
            } else {
                span.setNoParent();
            }
        } else {
            span.setNoParent().setAttribute(BATCH_COUNT, (long) records.size());
            Set<SpanContext> linked = new HashSet<>();
            for (LogRecord r : records) {
                SpanContext producer = producerSpan(r);
                if (producer.isValid() && linked.add(producer)) {
                    span.addLink(producer);
                }
            }
        }
        return span.startSpan();
    }

    /** Marks the attempt's span failed with {@code failure}. */
    static void failed(Span span, Throwable failure) {
        span.recordException(failure);
        span.setAttribute(ERROR_TYPE, failure.getClass().getName());
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    }

    /** The producer's span context from the record's {@code traceparent}, or invalid if absent or malformed. */
    static SpanContext producerSpan(LogRecord record) {
        if (record.headers().lastValue(StandardHeaders.TRACEPARENT).isEmpty()) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), record, HEADERS);
        return Span.fromContext(extracted).getSpanContext();
    }
}
