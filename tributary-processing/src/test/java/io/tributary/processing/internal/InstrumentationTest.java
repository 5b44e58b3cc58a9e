package io.tributary.processing.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;
import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.log.LogRecord;
import io.tributary.processing.ProcessingContext;
import io.tributary.processing.ProcessorConfig;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The per-attempt wrapping on the calling thread: what is bound during the call and what is left after it. */
class InstrumentationTest {

    private static final LogRecord EVENT = new LogRecord("orders", 3, 17, System.currentTimeMillis(), new byte[]{1},
            new byte[]{2}, Headers.empty().with(StandardHeaders.EVENT_ID, "e-17")
                    .with(StandardHeaders.CORRELATION_ID, "order-9"));

    private final ProcessorConfig config = ProcessorConfig.of("billing", "orders")
            .withOpenTelemetry(OpenTelemetry.noop());

    @Test
    void bindsContextAndMdcForTheCallAndClearsThemAfterASuccess() throws Exception {
        Instrumentation instrumentation = Instrumentation.create(config);
        AtomicReference<Map<String, String>> mdc = new AtomicReference<>();
        AtomicReference<ProcessingContext> context = new AtomicReference<>();
        instrumentation.invoke((records, attempt) -> {
            mdc.set(MDC.getCopyOfContextMap());
            context.set(ProcessingContext.current().orElseThrow());
            return List.of();
        }, List.of(EVENT), 1);
        assertThat(mdc.get()).containsEntry(ProcessingContext.MDC_CORRELATION_ID, "order-9")
                .containsEntry(ProcessingContext.MDC_EVENT_ID, "e-17")
                .containsEntry(ProcessingContext.MDC_PARTITION, "3")
                .containsEntry(ProcessingContext.MDC_OFFSET, "17");
        assertThat(context.get().cause()).contains(EVENT);
        assertThat(context.get().processor()).isEqualTo("billing");
        assertThat(MDC.get(ProcessingContext.MDC_CORRELATION_ID)).isNull();
        assertThat(MDC.get(ProcessingContext.MDC_OFFSET)).isNull();
        assertThat(ProcessingContext.current()).isEmpty();
    }

    @Test
    void clearsContextAndMdcAfterAFailureAndRethrowsIt() {
        Instrumentation instrumentation = Instrumentation.create(config);
        IllegalStateException boom = new IllegalStateException("boom");
        assertThatThrownBy(() -> instrumentation.invoke((records, attempt) -> {
            throw boom;
        }, List.of(EVENT), 1)).isSameAs(boom);
        assertThat(MDC.get(ProcessingContext.MDC_EVENT_ID)).isNull();
        assertThat(ProcessingContext.current()).isEmpty();
    }

    @Test
    void leavesTheMdcAloneWhenTurnedOff() throws Exception {
        Instrumentation instrumentation = Instrumentation.create(config.withTelemetry(config.telemetry()
                .withMdc(false)));
        AtomicReference<String> seen = new AtomicReference<>("unset");
        instrumentation.invoke((records, attempt) -> {
            seen.set(MDC.get(ProcessingContext.MDC_EVENT_ID));
            return List.of();
        }, List.of(EVENT), 1);
        assertThat(seen.get()).isNull();
    }

    @Test
    void deadLetterGaugesReadTheirSourceAndExistOnlyWhenOneIsGiven() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Instrumentation.create(config.withMeterRegistry(registry));
        assertThat(registry.find("tributary.processor.dlq.depth").gauges()).isEmpty();

        AtomicLong depth = new AtomicLong(4);
        AtomicLong parked = new AtomicLong(2);
        Instrumentation withDlq = Instrumentation.create(config.withMeterRegistry(registry), new DeadLetterGauges() {
            @Override
            public long depth() {
                return depth.get();
            }

            @Override
            public long parkedKeys() {
                return parked.get();
            }
        });
        assertThat(registry.get("tributary.processor.dlq.depth").tag("group", "billing").gauge().value())
                .isEqualTo(4);
        depth.set(7);
        parked.set(0);
        assertThat(registry.get("tributary.processor.dlq.depth").gauge().value()).isEqualTo(7);
        assertThat(registry.get("tributary.processor.parked.keys").gauge().value()).isZero();
        withDlq.close();
        assertThat(registry.find("tributary.processor.dlq.depth").gauges()).isEmpty();
    }
}
