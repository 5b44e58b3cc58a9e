package io.tributary.processing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.StatusCode;
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
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The trace context of a CONSUMER span that handles events, shared by processors and projections so that both follow
 * the OpenTelemetry messaging conventions the same way: a span for one event is a child of the producer's span named by
 * the event's W3C {@code traceparent} header; a span for a batch starts a new trace linked once to each distinct
 * producer span of its events. Each caller keeps its own span name and attributes.
 *
 * <p>Stateless and thread-safe: every method may be called from any thread at the same time. Only the OpenTelemetry
 * API is used; with no SDK installed the spans are no-ops. Nothing here is persisted.
 */
public final class ConsumeSpans {

    /** The attribute naming the class of the failure that ended a span; see {@link #failed(Span, Throwable)}. */
    public static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

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

    private ConsumeSpans() {
    }

    /**
     * Sets the parent or the links of {@code span}, a CONSUMER span about to handle {@code events}: for one event, the
     * producer's span from its {@code traceparent} as parent (no parent if it has none or it is malformed); for more,
     * no parent and one link per distinct valid producer span, in the order of {@code events}.
     *
     * @param span      the span being built; changed in place
     * @param events    the events the span handles, at least one
     * @param headersOf the headers of an event
     * @return {@code span}
     * @throws IllegalArgumentException if {@code events} is empty
     */
    public static <E> SpanBuilder parentOrLinks(SpanBuilder span, List<E> events,
                                                Function<? super E, Headers> headersOf) {
        if (events.isEmpty()) {
            throw new IllegalArgumentException("A consume span handles at least one event: start it for a non-empty"
                    + " batch");
        }
        if (events.size() == 1) {
            SpanContext producer = producerSpan(headersOf.apply(events.getFirst()));
            if (producer.isValid()) {
                span.setParent(Context.root().with(Span.wrap(producer)));
            } else {
                span.setNoParent();
            }
        } else {
            span.setNoParent();
            Set<SpanContext> linked = new HashSet<>();
            for (E e : events) {
                SpanContext producer = producerSpan(headersOf.apply(e));
                if (producer.isValid() && linked.add(producer)) {
                    span.addLink(producer);
                }
            }
        }
        return span;
    }

    /** The producer's span context from {@code headers}' {@code traceparent}, or invalid if absent or malformed. */
    public static SpanContext producerSpan(Headers headers) {
        if (headers.lastValue(StandardHeaders.TRACEPARENT).isEmpty()) {
            return SpanContext.getInvalid();
        }
        Context extracted = W3CTraceContextPropagator.getInstance().extract(Context.root(), headers, HEADERS);
        return Span.fromContext(extracted).getSpanContext();
    }

    /**
     * Marks {@code span} failed with {@code failure}: records the exception, sets {@link #ERROR_TYPE} to its class
     * name and the status to ERROR with its message.
     */
    public static void failed(Span span, Throwable failure) {
        span.recordException(failure);
        span.setAttribute(ERROR_TYPE, failure.getClass().getName());
        span.setStatus(StatusCode.ERROR, String.valueOf(failure.getMessage()));
    }
}
