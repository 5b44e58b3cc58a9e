package io.tributary.processing;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.TransactionalProducer;
import io.tributary.processing.internal.CorrelatingProducer;
import io.tributary.processing.internal.CorrelatingTransactionalProducer;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * What a handler call is working on: the processor, the event (or batch) being handled and the consume span. While a
 * processor calls a handler, the context is bound to the handler's thread ({@link #current()}), and events the handler
 * appends through {@link #producer(LogProducer)} are stamped with where they came from:
 * <ul>
 *   <li>{@code tributary-event-id}: a new UUIDv7 if the record has none, so that its own consumers can name it as
 *       their cause;</li>
 *   <li>{@code tributary-correlation-id}: the handled event's correlation id, or its event id when it has none (it
 *       started the flow);</li>
 *   <li>{@code tributary-causation-id}: the handled event's event id;</li>
 *   <li>{@code traceparent}: the current OpenTelemetry span (the consume span, or a span the handler opened inside
 *       it); when tracing is off, the handled event's own {@code traceparent} is passed on so a trace is not cut by an
 *       untraced processor.</li>
 * </ul>
 * A header the record already has is never replaced: explicit headers win. A value the handled event cannot supply
 * (say it has no event id) is left unset rather than invented.
 *
 * <p><b>Batches:</b> in a {@link BatchHandler} call of several events there is no single cause, so correlation and
 * causation ids are only stamped inside {@link #causedBy(LogRecord)}{@code .call(...)}, which names the event an
 * output derives from. Event id and traceparent (the batch's span) are stamped either way.
 *
 * <p><b>Threads:</b> the context is bound to the thread the processor runs the handler on (a thread-local, set before
 * the call and cleared after). Work the handler hands to other threads does not see it unless wrapped with
 * {@link #call(Callable)} / {@link #run(Runnable)} on a captured context. Immutable and thread-safe; in memory only.
 */
public final class ProcessingContext {

    /** MDC key: the processor's name (its consumer group). */
    public static final String MDC_PROCESSOR = "processor";
    /** MDC key: the handled event's correlation id, or its event id when it has none. */
    public static final String MDC_CORRELATION_ID = "correlationId";
    /** MDC key: the handled event's event id (the first event's, for a batch). */
    public static final String MDC_EVENT_ID = "eventId";
    /** MDC key: the handled event's topic. */
    public static final String MDC_TOPIC = "topic";
    /** MDC key: the handled event's partition. */
    public static final String MDC_PARTITION = "partition";
    /** MDC key: the handled event's offset (the first event's, for a batch). */
    public static final String MDC_OFFSET = "offset";
    /** MDC key: the number of events in the handler call (1 for an event handler). */
    public static final String MDC_BATCH_SIZE = "batchSize";
    /** MDC key: the consume span's trace id, when traced. */
    public static final String MDC_TRACE_ID = "traceId";
    /** MDC key: the consume span's span id, when traced. */
    public static final String MDC_SPAN_ID = "spanId";

    private static final ThreadLocal<ProcessingContext> CURRENT = new ThreadLocal<>();

    private final String processor;
    private final List<LogRecord> events;
    private final @Nullable LogRecord cause;
    private final SpanContext span;

    private ProcessingContext(String processor, List<LogRecord> events, @Nullable LogRecord cause, SpanContext span) {
        this.processor = processor;
        this.events = events;
        this.cause = cause;
        this.span = span;
    }

    /**
     * A context for handling {@code events} (at least one) in {@code processor}, under {@code span}
     * ({@link SpanContext#getInvalid()} when not traced). The processor makes these itself; this is public so that
     * handler code can be tested with a context bound ({@link #call(Callable)}).
     */
    public static ProcessingContext of(String processor, List<LogRecord> events, SpanContext span) {
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(span, "span");
        List<LogRecord> copy = List.copyOf(events);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("A processing context needs at least one event; pass the events the "
                    + "handler is called with");
        }
        return new ProcessingContext(processor, copy, copy.size() == 1 ? copy.getFirst() : null, span);
    }

    /** The context bound to this thread: present while a processor runs a handler on it. */
    public static Optional<ProcessingContext> current() {
        return Optional.ofNullable(CURRENT.get());
    }

    /**
     * A producer that stamps every record appended on a thread with a bound context (see the class comment), and
     * passes records appended elsewhere through unchanged. Closing it closes {@code delegate}. Thread-safe as
     * {@code delegate} is; order and durability are {@code delegate}'s.
     */
    public static LogProducer producer(LogProducer delegate) {
        return new CorrelatingProducer(delegate);
    }

    /** As {@link #producer(LogProducer)}, for a consume-transform-produce processor's transactional producer. */
    public static TransactionalProducer producer(TransactionalProducer delegate) {
        return new CorrelatingTransactionalProducer(delegate);
    }

    /** The processor's name (its consumer group id). */
    public String processor() {
        return processor;
    }

    /** The events of the handler call, in offset order (one for an event handler). */
    public List<LogRecord> events() {
        return events;
    }

    /** The event that outputs derive from: the only event of the call, or the one named by {@link #causedBy}. */
    public Optional<LogRecord> cause() {
        return Optional.ofNullable(cause);
    }

    /** The consume span of the handler call; invalid when not traced. */
    public SpanContext span() {
        return span;
    }

    /** This context with {@code event} as the cause of what is produced within it (for batch handlers). */
    public ProcessingContext causedBy(LogRecord event) {
        Objects.requireNonNull(event, "event");
        return new ProcessingContext(processor, events, event, span);
    }

    /** The correlation id outputs get: the cause's correlation id, else the cause's event id. */
    public Optional<String> correlationId() {
        if (cause == null) {
            return Optional.empty();
        }
        Optional<String> correlation = cause.headers().correlationId();
        return correlation.isPresent() ? correlation : eventIdOf(cause);
    }

    /** The causation id outputs get: the cause's event id. */
    public Optional<String> causationId() {
        return cause == null ? Optional.empty() : eventIdOf(cause);
    }

    /**
     * The {@code traceparent} outputs get: the current span on this thread if valid, else this context's span, else
     * (tracing off) the cause's own {@code traceparent}.
     */
    public Optional<String> traceparent() {
        SpanContext current = Span.current().getSpanContext();
        if (current.isValid()) {
            return Optional.of(format(current));
        }
        if (span.isValid()) {
            return Optional.of(format(span));
        }
        return cause == null ? Optional.empty() : cause.headers().traceparent();
    }

    /** {@code headers} with the event id, correlation id, causation id and traceparent added where absent. */
    public Headers stamp(Headers headers) {
        Headers h = headers.withIfAbsent(StandardHeaders.EVENT_ID, UuidV7.next().toString());
        Optional<String> correlation = correlationId();
        if (correlation.isPresent()) {
            h = h.withIfAbsent(StandardHeaders.CORRELATION_ID, correlation.get());
        }
        Optional<String> causation = causationId();
        if (causation.isPresent()) {
            h = h.withIfAbsent(StandardHeaders.CAUSATION_ID, causation.get());
        }
        if (h.traceparent().isEmpty()) {
            Optional<String> traceparent = traceparent();
            if (traceparent.isPresent()) {
                h = h.with(StandardHeaders.TRACEPARENT, traceparent.get());
            }
        }
        return h;
    }

    /** {@code record} with its headers {@linkplain #stamp(Headers) stamped}. */
    public Record stamp(Record record) {
        return record.withHeaders(stamp(record.headers()));
    }

    /**
     * Runs {@code action} on the calling thread with this context bound (and its span current, if traced and not
     * current already), then restores what was bound before. Use it to carry the context into work the handler hands
     * to another thread, or to name a batch event as the cause of what {@code action} produces.
     */
    public <T> T call(Callable<T> action) throws Exception {
        try (Scope ignored = bind()) {
            return action.call();
        }
    }

    /** As {@link #call(Callable)} for an action without a result or checked exceptions. */
    public void run(Runnable action) {
        try (Scope ignored = bind()) {
            action.run();
        }
    }

    /** Binds this context (and its span) to the calling thread until the returned scope is closed. */
    private Scope bind() {
        ProcessingContext previous = CURRENT.get();
        CURRENT.set(this);
        Scope spanScope = span.isValid() && !Span.current().getSpanContext().equals(span)
                ? Context.current().with(Span.wrap(span)).makeCurrent() : Scope.noop();
        return () -> {
            spanScope.close();
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        };
    }

    private static Optional<String> eventIdOf(LogRecord event) {
        // The raw header, not Headers.eventId(): a malformed id is passed on as written rather than failing the
        // handler's append over a header it did not write.
        return event.headers().lastString(StandardHeaders.EVENT_ID);
    }

    /** The W3C {@code traceparent} of {@code span}: version 00, trace id, span id, flags. */
    static String format(SpanContext span) {
        return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-" + span.getTraceFlags().asHex();
    }

    @Override
    public String toString() {
        LogRecord first = events.getFirst();
        return "ProcessingContext[" + processor + ", " + first.topic() + "-" + first.partition() + "@"
                + first.offset() + (events.size() > 1 ? " +" + (events.size() - 1) + " more" : "") + "]";
    }
}
