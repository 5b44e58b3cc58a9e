package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The demo itself, at a small size, on both backends: every check must hold, through the crash and the redrive. */
class OrderFulfilmentDemoTest {

    @TempDir
    Path dir;

    private DemoReport run(DemoConfig config) throws Exception {
        StringWriter progress = new StringWriter();
        DemoReport report;
        try (PrintWriter out = new PrintWriter(progress, true)) {
            report = new OrderFulfilmentDemo(config, out, false).run();
        }
        System.out.println(progress);
        report.lines().forEach(System.out::println);
        return report;
    }

    private DemoConfig small() {
        return DemoConfig.defaults(dir.resolve("demo")).withOrders(600).withPartitions(3).withPoisonEvery(25)
                .withCustomers(40).withTimeout(Duration.ofMinutes(3));
    }

    @Test
    void everyGuaranteeHoldsOnTheEmbeddedLogThroughACrashAndARedrive() throws Exception {
        DemoReport report = run(small());

        assertThat(report.checks()).allSatisfy(c -> assertThat(c.passed()).as(c.rule() + ": " + c.examples()).isTrue());
        assertThat(report.ordersPlaced()).isEqualTo(600);
        assertThat(report.shipped() + report.cancelled()).isEqualTo(600);
        assertThat(report.deadLettered()).as("every 25th order is poison and lands in the DLQ").isEqualTo(24);
        assertThat(report.dlqTopic()).isEqualTo("payments.dlq");
        assertThat(report.dlqExampleError()).startsWith("UnprocessableOrderException: order o")
                .contains("currency 'CHF'");
        assertThat(report.redriven()).isEqualTo(24);
        assertThat(report.dlqLeft()).as("the redrive closed every entry").isZero();
        assertThat(report.crashedEvents()).as("the crash hit at least one call after its database commit").isPositive();
        assertThat(report.inboxDuplicates()).as("the crashed calls' events came back and the inbox skipped them")
                .isPositive();
        assertThat(report.schemaVersions()).containsOnlyKeys(1, 2);
        assertThat(report.schemaVersions().get(1) + report.schemaVersions().get(2)).isEqualTo(600);
        assertThat(report.json()).contains("\"passed\":true");
    }

    @Test
    @Tag("slow")
    void everyGuaranteeHoldsOnTheInJvmKafkaBroker() throws Exception {
        DemoReport report = run(small().withBackend(DemoBackend.KAFKA));

        assertThat(report.backend()).contains("kafka");
        assertThat(report.checks()).allSatisfy(c -> assertThat(c.passed()).as(c.rule() + ": " + c.examples()).isTrue());
        assertThat(report.shipped() + report.cancelled()).isEqualTo(600);
        assertThat(report.deadLettered()).isEqualTo(24);
        assertThat(report.redriven()).isEqualTo(24);
        assertThat(report.dlqLeft()).isZero();
    }
}
