package io.tributary.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProcessorTelemetryTest {

    @Test
    void defaultsToNoMetricsTheGlobalOpenTelemetryAndMdcOn() {
        ProcessorTelemetry t = ProcessorConfig.of("billing", "orders").telemetry();
        assertThat(t).isEqualTo(ProcessorTelemetry.defaults());
        assertThat(t.meterRegistry()).isEmpty();
        assertThat(t.openTelemetry()).isEmpty();
        assertThat(t.mdc()).isTrue();
        assertThat(t.lagInterval()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void configShorthandsSetTheTelemetryAndKeepItThroughOtherChanges() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OpenTelemetry otel = OpenTelemetry.noop();
        ProcessorConfig c = ProcessorConfig.of("billing", "orders").withMeterRegistry(registry).withOpenTelemetry(otel)
                .withConcurrencyPerPartition(4).withCommitInterval(Duration.ofMillis(50));
        assertThat(c.telemetry().meterRegistry()).containsSame(registry);
        assertThat(c.telemetry().resolveOpenTelemetry()).isSameAs(otel);
    }

    @Test
    void rejectsALagIntervalBelowOneMillisecond() {
        assertThatThrownBy(() -> ProcessorTelemetry.defaults().withLagInterval(Duration.ZERO))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG))
                .hasMessageContaining("lagInterval=PT0S must be at least 1 ms (default 1 s)");
    }
}
