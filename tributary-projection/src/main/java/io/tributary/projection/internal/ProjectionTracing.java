package io.tributary.projection.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.processing.ConsumeSpans;
import java.util.List;
import java.util.function.Function;

/**
 * Makes one CONSUMER span per batch transaction attempt of a projection, following the OpenTelemetry messaging
 * conventions as processors do: a batch of one event is a child of the producer's span named by the event's W3C
 * {@code traceparent} header; a larger batch starts a new trace linked to each distinct producer span of its events.
 * The parent or links come from {@link ConsumeSpans}. API only: with no SDK installed every call is a cheap no-op.
 * Thread-safe.
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
        } else {
            span.setAttribute(BATCH_COUNT, (long) events.size());
        }
        // Without an SDK a batch's links are dropped anyway, so its events' traceparents need not be parsed.
        Function<E, Headers> headersOf = noop && events.size() > 1 ? e -> Headers.empty() : reader::headersOf;
        ConsumeSpans.parentOrLinks(span, events, headersOf);
        return span.startSpan();
    }

}
