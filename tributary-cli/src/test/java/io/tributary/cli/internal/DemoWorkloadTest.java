package io.tributary.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.Durability;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The demo at small size on the real embedded engine: a clean run passes, a tampered one fails. */
@Timeout(180)
class DemoWorkloadTest {

    @TempDir
    Path dir;

    private DemoReport run(DemoSettings settings) throws InterruptedException {
        StringWriter progress = new StringWriter();
        try (EventLog log = EventLogs.open(Map.of(EventLogs.BACKEND, "embedded",
                "tributary.log.embedded.data-dir", dir.toString()))) {
            return new DemoWorkload(settings).run(log, new PrintWriter(progress));
        }
    }

    private static DemoSettings small() {
        return DemoSettings.defaults().withEvents(10_000).withShape(4, 3, 2, 100);
    }

    @Test
    void deliversEveryEventExactlyOnceAndInOrderPerKey() throws Exception {
        DemoReport report = run(small());

        assertThat(report.passed()).as(String.join("\n", report.lines())).isTrue();
        assertThat(report.acknowledged()).isEqualTo(10_000);
        assertThat(report.verdict().received()).isEqualTo(10_000);
        assertThat(report.ackLatency().count()).isEqualTo(10_000);
        assertThat(report.endToEndLatency().count()).isEqualTo(10_000);
        assertThat(report.ackLatency().p50()).isPositive();
        assertThat(report.ackLatency().p99()).isGreaterThanOrEqualTo(report.ackLatency().p50());
        assertThat(report.produceRate()).isPositive();
        assertThat(report.endToEndNanos()).isGreaterThanOrEqualTo(report.produceNanos() / 2);
    }

    @Test
    void worksWithMoreConsumersThanPartitionsAndPageCacheDurability() throws Exception {
        DemoReport report = run(small().withShape(2, 1, 4, 10).withDurability(Durability.NEVER).withEvents(2_000));
        assertThat(report.passed()).as(String.join("\n", report.lines())).isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = DeliveryFault.class, names = {"DUPLICATE", "DROP", "REORDER"})
    void anInjectedDeliveryFaultFailsTheCheck(DeliveryFault fault) throws Exception {
        DemoReport report = run(small().withEvents(3_000).withFault(fault));

        assertThat(report.passed()).as("the check must catch an injected " + fault).isFalse();
        assertThat(report.verdict().summary()).startsWith("FAILED");
        assertThat(report.verdict().examples()).isNotEmpty();
        assertThat(report.lines()).anySatisfy(l -> assertThat(l).contains("Check:", "FAILED"));
    }

    @Test
    void keyIndexReadsOnlyTheDemosKeys() {
        assertThat(DemoWorkload.keyIndex("entity-42".getBytes(StandardCharsets.US_ASCII))).isEqualTo(42);
        assertThat(DemoWorkload.keyIndex("entity-0".getBytes(StandardCharsets.US_ASCII))).isZero();
        assertThat(DemoWorkload.keyIndex("entity-".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(DemoWorkload.keyIndex("entity-4x".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(DemoWorkload.keyIndex("order-1".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(DemoWorkload.keyIndex(null)).isEqualTo(-1);
    }
}
