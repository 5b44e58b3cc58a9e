package io.tributary.processing;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a processor reports on itself: Micrometer metrics, OpenTelemetry spans and the SLF4J MDC. Part of
 * {@link ProcessorConfig} ({@link ProcessorConfig#telemetry()}). Immutable and thread-safe (the registry and the
 * OpenTelemetry instance are the application's and are thread-safe themselves); {@code with*} methods return copies;
 * nothing here is persisted. Every metric, span attribute and MDC key is listed in {@code docs/metrics.md}.
 *
 * <p>Correlation and causation ids are not switched here: they are stamped only on what a handler produces through
 * {@link ProcessingContext#producer(io.tributary.log.LogProducer)}, which is the opt-in.
 *
 * @param meterRegistry where the processor's meters are registered; default none (no metrics: the processor never
 *                      touches Micrometer's global registry). The meters are removed again when the processor stops.
 * @param openTelemetry the OpenTelemetry whose tracer makes the consume spans; default empty, meaning
 *                      {@link GlobalOpenTelemetry#get()} when the processor starts (a no-op unless the application
 *                      installed an SDK)
 * @param mdc           whether the SLF4J MDC carries the handled event's ids during handler calls; default true
 * @param lagInterval   how often the lag gauges are refreshed, which asks the log for the end offsets of the assigned
 *                      partitions (one request per refresh on Kafka); default 1 s, at least 1 ms. Used only with a
 *                      registry.
 */
public record ProcessorTelemetry(Optional<MeterRegistry> meterRegistry, Optional<OpenTelemetry> openTelemetry,
                                 boolean mdc, Duration lagInterval) {

    public ProcessorTelemetry {
        Objects.requireNonNull(meterRegistry, "meterRegistry");
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        Objects.requireNonNull(lagInterval, "lagInterval");
        if (lagInterval.toMillis() < 1) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid processor telemetry: lagInterval="
                    + lagInterval + " must be at least 1 ms (default 1 s)");
        }
    }

    /** No metrics, the global OpenTelemetry, MDC on, lag refreshed every second. */
    public static ProcessorTelemetry defaults() {
        return new ProcessorTelemetry(Optional.empty(), Optional.empty(), true, Duration.ofSeconds(1));
    }

    /** Registers the processor's meters in {@code registry}. */
    public ProcessorTelemetry withMeterRegistry(MeterRegistry registry) {
        return new ProcessorTelemetry(Optional.of(registry), openTelemetry, mdc, lagInterval);
    }

    /** Makes consume spans with {@code openTelemetry}'s tracer instead of the global one. */
    public ProcessorTelemetry withOpenTelemetry(OpenTelemetry openTelemetry) {
        return new ProcessorTelemetry(meterRegistry, Optional.of(openTelemetry), mdc, lagInterval);
    }

    public ProcessorTelemetry withMdc(boolean v) {
        return new ProcessorTelemetry(meterRegistry, openTelemetry, v, lagInterval);
    }

    public ProcessorTelemetry withLagInterval(Duration v) {
        return new ProcessorTelemetry(meterRegistry, openTelemetry, mdc, v);
    }

    /** The OpenTelemetry to trace with: the configured one, else the global one as of this call. */
    public OpenTelemetry resolveOpenTelemetry() {
        return openTelemetry.orElseGet(GlobalOpenTelemetry::get);
    }
}
