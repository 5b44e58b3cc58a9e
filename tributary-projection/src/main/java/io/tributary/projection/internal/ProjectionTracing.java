package io.tributary.projection.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Makes one CONSUMER span per batch transaction attempt of a projection, following the OpenTelemetry messaging
 * conventions as processors do: a batch of one event is a child of the producer's span named by the event's W3C
 * {@code traceparent} header; a larger batch starts a new trace linked to each distinct producer span of its events.
 * API only: with no SDK installed every call is a cheap no-op. Thread-safe.
 */
final class ProjectionTracing {

    static final String INSTRUMENTATION_SCOPE = "io.tributary.projection";
    static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");
    static final AttributeKey<String> MESSAGE_ID = AttributeKey.stringKey("messaging.message.id");
    static final AttributeKey<Long> BATCH_COUNT = AttributeKey.longKey("messaging.batch.message_count");
    static final AttributeKey<Long> POSITION = AttributeKey.longKey("tributary.projection.position");
    static final AttributeKey<Long> VERSION = AttributeKey.longKey("tributary.projection.version");
    static final AttributeKey<Boolean> REPLAYING = AttributeKey.booleanKey("tributary.projection.replaying");
    static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("tributary.projection.attempt");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    /** Reads W3C trace context headers ({@code traceparent}, {@code tracestate}) from an event's headers. */
    private static final TextMapGetter<Headers> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Headers carrier) {
            List<String> names = new ArrayList<>();
            for (Header h : carrier.all()) {
                names.add(h.name());
            }
            return names;
        }

        @Override
        public @Nullable String get(@Nullable Headers carrier, String key) {
            return carrier == null ? null : carrier.lastString(key).orElse(null);
        }
    };

    private final Tracer tracer;
    private final String projection;
    /** No SDK: links would be dropped, so a batch's events need not be parsed for them. */
    private final boolean noop;

    ProjectionTracing(OpenTelemetry openTelemetry, String projection) {
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION_SCOPE);
        this.projection = projection;
        this.noop = openTelemetry.getTracerProvider() == TracerProvider.noop();
    }

    /** Starts the span of one attempt at {@code events} (source order); the caller ends it. */
    <E> Span start(SourceReader<E> reader, List<E> events, int attempt, boolean replaying, int version) {
        E first = events.getFirst();
        SpanBuilder span = tracer.spanBuilder("process " + reader.topic())
                .setSpanKind(SpanKind.CONSUMER)
                .setAttribute(MESSAGING_SYSTEM, "tributary")
                .setAttribute(OPERATION_NAME, "process")
                .setAttribute(OPERATION_TYPE, "process")
                .setAttribute(DESTINATION, reader.topic())
                .setAttribute(CONSUMER_GROUP, projection)
                .setAttribute(POSITION, reader.positionOf(first))
                .setAttribute(VERSION, (long) version)
                .setAttribute(REPLAYING, replaying)
                .setAttribute(ATTEMPT, (long) attempt);
        String partition = reader.partitionOf(first);
        boolean onePartition = true;
        for (E e : events) {
            if (!reader.partitionOf(e).equals(partition)) {
                onePartition = false;
                break;
            }
        }
        if (onePartition) {
            span.setAttribute(PARTITION, PartitionTags.partitionId(partition));
        }
        if (events.size() == 1) {
            reader.asLogRecord(first).headers().lastString(StandardHeaders.EVENT_ID)
                    .ifPresent(id -> span.setAttribute(MESSAGE_ID, id));
            SpanContext producer = producerSpan(reader.headersOf(first));
            if (producer.isValid()) {
                span.setParent(Context.root().with(Span.wrap(producer)));
            } else {
                span.setNoParent();
            }
        } else {
            span.setNoParent().setAttribute(BATCH_COUNT, (long) events.size());
            Set<SpanContext> linked = new HashSet<>();
            for (E e : noop ? List.<E>of() : events) {
                SpanContext producer = producerSpan(reader.headersOf(e));
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

    /** The producer's span context from {@code traceparent}, or invalid if absent or malformed. */
    static SpanContext producerSpan(Headers headers) {
        if (headers.lastValue(StandardHeaders.TRACEPARENT).isEmpty()) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
        return Span.fromContext(extracted).getSpanContext();
    }
}
