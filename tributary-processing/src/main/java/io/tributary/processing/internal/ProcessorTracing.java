package io.tributary.processing.internal;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.tributary.core.StandardHeaders;
import io.tributary.log.LogRecord;
import io.tributary.processing.ConsumeSpans;
import java.util.List;

/**
 * Makes one CONSUMER span per handler attempt (an event or a batch), following the OpenTelemetry messaging
 * conventions. A single event's span is a child of the producer's span named by the event's W3C {@code traceparent}
 * header; a batch's span is a new trace linked to each distinct producer span of its events (both set by
 * {@link ConsumeSpans}). Only the OpenTelemetry API is used; with no SDK installed every call is a cheap no-op.
 * Thread-safe (spans are started on handler threads).
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
        } else {
            span.setAttribute(BATCH_COUNT, (long) records.size());
        }
        ConsumeSpans.parentOrLinks(span, records, LogRecord::headers);
        return span.startSpan();
    }

}
