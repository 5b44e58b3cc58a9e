package io.tributary.projection.internal;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.tributary.core.StandardHeaders;
import io.tributary.log.LogRecord;
import io.tributary.processing.ConsumeSpans;
import io.tributary.processing.ProcessingContext;
import io.tributary.processing.ProcessorTelemetry;
import io.tributary.projection.ProjectionConfig;
import io.tributary.projection.ProjectionContext;
import io.tributary.projection.ProjectionSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Everything a projection reports about its work, behind the few calls its workers make: around each batch
 * transaction attempt ({@link #attempt}: consume span, {@link ProcessingContext}, MDC, latency and batch-size meters),
 * per event of a per-event handler ({@link Observed#each}), on a retry, a read and a commit, and when the projection
 * starts and stops (the lag sampler, then removing its meters). Configured by {@link ProjectionConfig#telemetry()}.
 * Work of a rebuild's replay is traced but not counted in the batch meters, which describe the live version.
 *
 * <p><b>Threads:</b> the per-batch calls run on worker threads (one per version); {@link #start} and {@link #close}
 * on the thread starting or closing the projection. Thread-safe for that use; in memory only.
 */
public final class ProjectionInstrumentation {

    /** The handler call of one attempt, given what it may use to observe single events. */
    @FunctionalInterface
    interface Call<E> {
        void run(Observed<E> observed) throws Exception;
    }

    /** Work that may throw, run inside an observed scope. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ProjectionInstrumentation.class);

    private final String projection;
    private final ProjectionTracing tracing;
    private final @Nullable ProjectionMetrics metrics;
    private final boolean mdc;

    ProjectionInstrumentation(ProjectionConfig config) {
        ProcessorTelemetry telemetry = config.telemetry();
        this.projection = config.name();
        this.tracing = new ProjectionTracing(telemetry.resolveOpenTelemetry(), config.name());
        this.metrics = telemetry.meterRegistry().map(r -> new ProjectionMetrics(r, config)).orElse(null);
        this.mdc = telemetry.mdc();
    }

    /** Calls {@code call} once for {@code events}, observed; rethrows its failure. */
    <E> void attempt(SourceReader<E> reader, List<E> events, int attempt, boolean replaying, int version,
                     Call<E> call) throws Exception {
        Span span;
        try {
            span = tracing.start(reader, events, attempt, replaying, version);
        } catch (RuntimeException e) {
            // Telemetry must never fail a batch: apply it untraced.
            LOG.debug("Projection '{}': could not start the consume span", projection, e);
            span = Span.getInvalid();
        }
        SpanContext spanContext = span.getSpanContext();
        List<LogRecord> records = new ArrayList<>(events.size());
        for (E e : events) {
            records.add(reader.asLogRecord(e));
        }
        ProcessingContext context = ProcessingContext.of(projection, records, spanContext);
        if (mdc) {
            putMdc(context, reader, records.getFirst(), events.size(), version, spanContext);
        }
        long start = System.nanoTime();
        boolean succeeded = false;
        try (Scope ignored = span.makeCurrent()) {
            call.run(new Observed<>(reader, context));
            succeeded = true;
        } catch (Throwable e) {
            ConsumeSpans.failed(span, e);
            throw e;
        } finally {
            long nanos = System.nanoTime() - start;
            boolean ok = succeeded;
            // The batch may be committed by now: a failure to report it must not make it fail (and be applied again).
            report(span::end);
            if (mdc) {
                clearMdc();
            }
            if (metrics != null && !replaying) {
                report(() -> metrics.attempted(events.size(), nanos, ok, attempt));
            }
        }
    }

    /** Runs a piece of reporting; its failure is logged, never thrown into the worker. */
    private void report(Runnable reporting) {
        try {
            reporting.run();
        } catch (RuntimeException e) {
            LOG.debug("Projection '{}': could not report a batch", projection, e);
        }
    }

    /** A failed attempt will be retried. */
    void retrying(boolean replaying) {
        if (metrics != null && !replaying) {
            report(metrics::retrying);
        }
    }

    /** A worker read {@code events} events (0 when the read found none). */
    void polled(int events, boolean replaying) {
        if (metrics != null && !replaying) {
            report(() -> metrics.polled(events));
        }
    }

    /** A worker committed a batch of {@code counts} events per source partition. */
    void applied(Map<String, Long> counts, boolean replaying) {
        if (metrics != null && !replaying) {
            report(() -> metrics.applied(counts));
        }
    }

    /** Starts measuring lag (with a meter registry only), reading the live worker through {@code live}. */
    void start(ProjectionSource<?> source, ProjectionConfig config, Supplier<VersionWorker<?>> live) {
        if (metrics != null) {
            metrics.start(source, config, live);
        }
    }

    void rebuildStarted(RebuildTask<?> task) {
        if (metrics != null) {
            metrics.rebuildStarted(task);
        }
    }

    /** Stops the lag sampler and removes the projection's meters. */
    void close() {
        if (metrics != null) {
            metrics.close();
        }
    }

    private void putMdc(ProcessingContext context, SourceReader<?> reader, LogRecord first,
                        int size, int version, SpanContext span) {
        MDC.put(ProjectionContext.MDC_PROJECTION, projection);
        MDC.put(ProjectionContext.MDC_VERSION, Integer.toString(version));
        MDC.put(ProcessingContext.MDC_TOPIC, reader.topic());
        MDC.put(ProcessingContext.MDC_BATCH_SIZE, Integer.toString(size));
        putEventMdc(first, size == 1 ? context : null);
        if (span.isValid()) {
            MDC.put(ProcessingContext.MDC_TRACE_ID, span.getTraceId());
            MDC.put(ProcessingContext.MDC_SPAN_ID, span.getSpanId());
        }
    }

    /** Partition and offset of {@code event}; its ids too when {@code single} is its context. */
    private static void putEventMdc(LogRecord event, @Nullable ProcessingContext single) {
        MDC.put(ProcessingContext.MDC_PARTITION, Integer.toString(event.partition()));
        MDC.put(ProcessingContext.MDC_OFFSET, Long.toString(event.offset()));
        if (single != null) {
            event.headers().lastString(StandardHeaders.EVENT_ID)
                    .ifPresent(id -> MDC.put(ProcessingContext.MDC_EVENT_ID, id));
            single.correlationId().ifPresent(id -> MDC.put(ProcessingContext.MDC_CORRELATION_ID, id));
        }
    }

    private static void clearMdc() {
        MDC.remove(ProjectionContext.MDC_PROJECTION);
        MDC.remove(ProjectionContext.MDC_VERSION);
        MDC.remove(ProcessingContext.MDC_TOPIC);
        MDC.remove(ProcessingContext.MDC_PARTITION);
        MDC.remove(ProcessingContext.MDC_OFFSET);
        MDC.remove(ProcessingContext.MDC_BATCH_SIZE);
        MDC.remove(ProcessingContext.MDC_EVENT_ID);
        MDC.remove(ProcessingContext.MDC_CORRELATION_ID);
        MDC.remove(ProcessingContext.MDC_TRACE_ID);
        MDC.remove(ProcessingContext.MDC_SPAN_ID);
    }

    /**
     * What one attempt's handler runs inside: the batch's {@link ProcessingContext} bound to the thread, and, for each
     * event of a per-event handler, that event as the cause (so outputs carry its correlation and causation ids) and
     * its ids in the MDC. Worker thread only.
     */
    public final class Observed<E> {

        private final SourceReader<E> reader;
        private final ProcessingContext context;

        Observed(SourceReader<E> reader, ProcessingContext context) {
            this.reader = reader;
            this.context = context;
        }

        /** Runs the batch's handler call with the batch's context bound. */
        void handler(Work work) throws Exception {
            context.call(() -> {
                work.run();
                return null;
            });
        }

        /** Runs a per-event handler's call for {@code event}, with that event as the cause and in the MDC. */
        public void each(E event, Work work) throws Exception {
            LogRecord record = reader.asLogRecord(event);
            ProcessingContext single = context.causedBy(record);
            Map<String, String> saved = mdc ? MDC.getCopyOfContextMap() : null;
            if (mdc) {
                MDC.remove(ProcessingContext.MDC_EVENT_ID);
                MDC.remove(ProcessingContext.MDC_CORRELATION_ID);
                putEventMdc(record, single);
            }
            try {
                single.call(() -> {
                    work.run();
                    return null;
                });
            } finally {
                if (mdc) {
                    if (saved == null) {
                        MDC.clear();
                    } else {
                        MDC.setContextMap(saved);
                    }
                }
            }
        }
    }
}
