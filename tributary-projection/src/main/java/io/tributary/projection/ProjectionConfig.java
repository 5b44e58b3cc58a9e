package io.tributary.projection;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tributary.processing.ProcessorTelemetry;
import io.tributary.processing.RetryPolicy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A projection's settings. Immutable; {@code with*} methods return copies. All problems are reported at once.
 *
 * @param name           the projection's name: letters, digits, {@code . _ -}, at most 200 characters; the key of its
 *                       versions and checkpoints (required)
 * @param maxBatchEvents most events applied in one transaction; default 500. Larger batches mean fewer commits and
 *                       a longer redo after a failure
 * @param pollTimeout    longest one read of the source waits for new events (and so the delay before a stop or a
 *                       limit change is noticed); default 100 ms
 * @param retry          how a failed batch is retried; default {@link RetryPolicy#defaults()} (5 attempts, 100 ms
 *                       doubling to 10 s). After the last attempt the projection stops with a failure
 * @param catalogPrefix  prefix of the two catalog tables ({@code <prefix>_versions}, {@code <prefix>_checkpoints});
 *                       default {@code tributary_projection}
 * @param stopTimeout    how long a stopping worker may finish its current batch before it is interrupted (its batch
 *                       then rolls back); default 30 s
 * @param lagCountLimit  most events {@link Projection#lag()} counts on an event-store source, where counting means
 *                       reading; beyond it the lag is reported as inexact; default 100000. Also the most events one
 *                       sample of the lag gauges reads
 * @param telemetry      metrics, tracing and MDC, the same settings as a processor's; default
 *                       {@link ProcessorTelemetry#defaults()} (no metrics, the global OpenTelemetry, MDC on, lag
 *                       gauges refreshed every second). See {@code docs/metrics.md}
 */
public record ProjectionConfig(String name, int maxBatchEvents, Duration pollTimeout, RetryPolicy retry,
                               String catalogPrefix, Duration stopTimeout, long lagCountLimit,
                               ProcessorTelemetry telemetry) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9_]{0,40}");

    public ProjectionConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pollTimeout, "pollTimeout");
        Objects.requireNonNull(retry, "retry");
        Objects.requireNonNull(catalogPrefix, "catalogPrefix");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(telemetry, "telemetry");
        List<String> problems = new ArrayList<>();
        if (!NAME.matcher(name).matches()) {
            problems.add("name '" + name + "' must be 1 to 200 letters, digits, '.', '_' or '-', e.g. 'order-totals'");
        }
        if (maxBatchEvents < 1) {
            problems.add("maxBatchEvents=" + maxBatchEvents + " must be at least 1 (default 500)");
        }
        if (pollTimeout.toMillis() < 1) {
            problems.add("pollTimeout=" + pollTimeout + " must be at least 1 ms (default 100 ms)");
        }
        if (!PREFIX.matcher(catalogPrefix).matches()) {
            problems.add("catalogPrefix '" + catalogPrefix + "' must match " + PREFIX.pattern()
                    + " (default tributary_projection)");
        }
        if (stopTimeout.isNegative()) {
            problems.add("stopTimeout=" + stopTimeout + " must not be negative (default 30 s)");
        }
        if (lagCountLimit < 1) {
            problems.add("lagCountLimit=" + lagCountLimit + " must be at least 1 (default 100000)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid projection config: "
                    + String.join("; ", problems));
        }
    }

    /** Defaults for a projection named {@code name}. */
    public static ProjectionConfig of(String name) {
        return new ProjectionConfig(name, 500, Duration.ofMillis(100), RetryPolicy.defaults(), "tributary_projection",
                Duration.ofSeconds(30), 100_000, ProcessorTelemetry.defaults());
    }

    /** The same settings for a projection with another name. */
    public ProjectionConfig withName(String v) {
        return new ProjectionConfig(v, maxBatchEvents, pollTimeout, retry, catalogPrefix, stopTimeout, lagCountLimit,
                telemetry);
    }

    public ProjectionConfig withMaxBatchEvents(int v) {
        return new ProjectionConfig(name, v, pollTimeout, retry, catalogPrefix, stopTimeout, lagCountLimit, telemetry);
    }

    public ProjectionConfig withPollTimeout(Duration v) {
        return new ProjectionConfig(name, maxBatchEvents, v, retry, catalogPrefix, stopTimeout, lagCountLimit,
                telemetry);
    }

    public ProjectionConfig withRetry(RetryPolicy v) {
        return new ProjectionConfig(name, maxBatchEvents, pollTimeout, v, catalogPrefix, stopTimeout, lagCountLimit,
                telemetry);
    }

    public ProjectionConfig withCatalogPrefix(String v) {
        return new ProjectionConfig(name, maxBatchEvents, pollTimeout, retry, v, stopTimeout, lagCountLimit, telemetry);
    }

    public ProjectionConfig withStopTimeout(Duration v) {
        return new ProjectionConfig(name, maxBatchEvents, pollTimeout, retry, catalogPrefix, v, lagCountLimit,
                telemetry);
    }

    public ProjectionConfig withLagCountLimit(long v) {
        return new ProjectionConfig(name, maxBatchEvents, pollTimeout, retry, catalogPrefix, stopTimeout, v, telemetry);
    }

    public ProjectionConfig withTelemetry(ProcessorTelemetry v) {
        return new ProjectionConfig(name, maxBatchEvents, pollTimeout, retry, catalogPrefix, stopTimeout, lagCountLimit,
                v);
    }

    /** Registers the projection's meters in {@code registry} (shorthand for {@link #withTelemetry}). */
    public ProjectionConfig withMeterRegistry(MeterRegistry registry) {
        return withTelemetry(telemetry.withMeterRegistry(registry));
    }

    /** Makes the projection's consume spans with this OpenTelemetry (shorthand for {@link #withTelemetry}). */
    public ProjectionConfig withOpenTelemetry(OpenTelemetry openTelemetry) {
        return withTelemetry(telemetry.withOpenTelemetry(openTelemetry));
    }
}
