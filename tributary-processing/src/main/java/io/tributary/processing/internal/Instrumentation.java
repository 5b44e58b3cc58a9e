package io.tributary.processing.internal;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.context.Scope;
import io.tributary.core.StandardHeaders;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import io.tributary.processing.ConsumeSpans;
import io.tributary.processing.ProcessingContext;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.ProcessorTelemetry;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.MDC;

/**
 * Everything a processor reports about its work, behind the few calls the runtime makes: around each handler attempt
 * ({@link #invoke}: consume span, {@link ProcessingContext}, MDC, latency and batch-size meters), on a retry, on each
 * poll loop turn ({@link #sample}: lag, committed offsets, buffer fill) and when the processor stops
 * ({@link #close()}: its meters are removed). Configured by {@link ProcessorConfig#telemetry()}.
 *
 * <p><b>Threads:</b> {@link #invoke} and {@link #retrying} run on handler threads; {@link #sample} and {@link #close}
 * on the poll loop thread. Thread-safe for that use; in memory only.
 */
public final class Instrumentation {

    private final String processor;
    private final ProcessorTracing tracing;
    private final @Nullable ProcessorMetrics metrics;
    private final boolean mdc;

    private Instrumentation(ProcessorConfig config, Optional<DeadLetterGauges> deadLetters) {
        ProcessorTelemetry telemetry = config.telemetry();
        this.processor = config.name();
        this.tracing = new ProcessorTracing(telemetry.resolveOpenTelemetry(), config.name());
        this.metrics = telemetry.meterRegistry().map(r -> new ProcessorMetrics(r, config.name(),
                config.maxBufferedPerPartition(), telemetry.lagInterval().toNanos(), deadLetters)).orElse(null);
        this.mdc = telemetry.mdc();
    }

    /** Instrumentation for a processor without a dead-letter queue (no DLQ gauges are registered). */
    public static Instrumentation create(ProcessorConfig config) {
        return new Instrumentation(config, Optional.empty());
    }

    /** Instrumentation whose DLQ gauges read {@code deadLetters}. */
    public static Instrumentation create(ProcessorConfig config, DeadLetterGauges deadLetters) {
        return new Instrumentation(config, Optional.of(deadLetters));
    }

    /**
     * Calls the handler once with {@code records} (one partition, offset order), observed; rethrows its failure.
     * Returns the events the handler left to be handed again one at a time (empty: it completed them all).
     */
    public List<LogRecord> invoke(ProcessorRuntime.Invoker invoker, List<LogRecord> records, int attempt) throws Exception {
        LogRecord first = records.getFirst();
        Span span = tracing.start(records, attempt);
        SpanContext spanContext = span.getSpanContext();
        ProcessingContext context = ProcessingContext.of(processor, records, spanContext);
        if (mdc) {
            putMdc(context, first, records.size(), spanContext);
        }
        long start = System.nanoTime();
        boolean succeeded = false;
        int completed = records.size();
        try (Scope ignored = span.makeCurrent()) {
            List<LogRecord> handAgain = context.call(() -> invoker.invoke(records, attempt));
            succeeded = true;
            // Events handed again are not processed yet: their own calls count them, or the dead-letter queue takes them.
            completed = records.size() - handAgain.size();
            return handAgain;
        } catch (Throwable e) {
            ConsumeSpans.failed(span, e);
            throw e;
        } finally {
            long nanos = System.nanoTime() - start;
            span.end();
            if (mdc) {
                clearMdc();
            }
            if (metrics != null) {
                metrics.attempted(first.topicPartition(), records.size(), completed, nanos, succeeded, attempt);
            }
        }
    }

    /** The attempt at {@code records} failed and will be retried. */
    public void retrying(List<LogRecord> records) {
        if (metrics != null) {
            metrics.retrying(records.getFirst().topicPartition());
        }
    }

    /** Refreshes the gauges from the poll loop's state (poll loop thread only). */
    public void sample(LogConsumer consumer, Collection<PartitionWork> works, Map<TopicPartition, Long> committed) {
        if (metrics != null) {
            metrics.sample(consumer, works, committed);
        }
    }

    /** Removes this processor's meters (poll loop thread, as it stops). */
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
    }

    private void putMdc(ProcessingContext context, LogRecord first, int size, SpanContext span) {
        MDC.put(ProcessingContext.MDC_PROCESSOR, processor);
        MDC.put(ProcessingContext.MDC_TOPIC, first.topic());
        MDC.put(ProcessingContext.MDC_PARTITION, Integer.toString(first.partition()));
        MDC.put(ProcessingContext.MDC_OFFSET, Long.toString(first.offset()));
        MDC.put(ProcessingContext.MDC_BATCH_SIZE, Integer.toString(size));
        if (size == 1) {
            // A batch of several has no single correlation or event id; its handler can set them per event.
            first.headers().lastString(StandardHeaders.EVENT_ID)
                    .ifPresent(id -> MDC.put(ProcessingContext.MDC_EVENT_ID, id));
            context.correlationId().ifPresent(id -> MDC.put(ProcessingContext.MDC_CORRELATION_ID, id));
        }
        if (span.isValid()) {
            MDC.put(ProcessingContext.MDC_TRACE_ID, span.getTraceId());
            MDC.put(ProcessingContext.MDC_SPAN_ID, span.getSpanId());
        }
    }

    private static void clearMdc() {
        MDC.remove(ProcessingContext.MDC_PROCESSOR);
        MDC.remove(ProcessingContext.MDC_TOPIC);
        MDC.remove(ProcessingContext.MDC_PARTITION);
        MDC.remove(ProcessingContext.MDC_OFFSET);
        MDC.remove(ProcessingContext.MDC_BATCH_SIZE);
        MDC.remove(ProcessingContext.MDC_EVENT_ID);
        MDC.remove(ProcessingContext.MDC_CORRELATION_ID);
        MDC.remove(ProcessingContext.MDC_TRACE_ID);
        MDC.remove(ProcessingContext.MDC_SPAN_ID);
    }
}
