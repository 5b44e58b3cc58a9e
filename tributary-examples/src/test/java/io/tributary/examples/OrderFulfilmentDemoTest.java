package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.schema.SchemaRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
    void ordersRecordWhenTheyWereReallyPlacedWhenTheDriverFallsBehindItsRate() throws Exception {
        // Regression: under --rate each order stored its scheduled time as placedAtMicros (business data changed for
        // a metric). With one order in flight the driver falls far behind a million orders/s, and each order is
        // placed only after the previous one was appended: its placed time cannot be before that append.
        DemoReport report = run(small().withOrders(150).withRate(1_000_000).withMaxInFlight(1).withPoisonEvery(0)
                .withCrash(false));
        assertThat(report.checks()).allSatisfy(c -> assertThat(c.passed()).as(c.rule() + ": " + c.examples()).isTrue());
        assertThat(report.lines()).anySatisfy(l -> assertThat(l).contains("placed -> confirmed").contains("every order"));

        Path data = dir.resolve("demo");
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, data.resolve("log").toString()));
             SchemaRegistry registry = SchemaRegistry.open(log);
             EventStore store = EventStores.embedded(log, EmbeddedEventStoreConfig.of(data.resolve("eventstore-index")))) {
            OrderEventCodec codec = new OrderEventCodec(registry, "orders");
            long previousRecordedAtMillis = 0;
            for (long i = 0; i < 150; i++) {
                RecordedEvent placed = store.readStreamForward("order-" + OrderFulfilmentDemo.orderId(i), 0, 1).getFirst();
                long placedAtMicros = ((Order.Placed) codec.decode(placed.type(), placed.data())).placedAtMicros();
                // 1 ms of slack: the event store's clock reads milliseconds, the driver's microseconds.
                assertThat(placedAtMicros / 1000).as("order %d placed after order %d was appended", i, i - 1)
                        .isGreaterThanOrEqualTo(previousRecordedAtMillis - 1);
                assertThat(placedAtMicros / 1000).as("order %d placed before it was appended", i)
                        .isLessThanOrEqualTo(placed.recordedAt() + 1);
                previousRecordedAtMillis = placed.recordedAt();
            }
        }
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
