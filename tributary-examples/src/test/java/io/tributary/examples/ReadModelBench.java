package io.tributary.examples;

import io.tributary.core.Headers;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.Orders;
import io.tributary.examples.readmodel.OrderSummaryProjection;
import io.tributary.schema.SchemaText;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.NewTopic;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The read model's CPU alone, outside the demo's other stages: N orders are placed, then all confirmed and shipped
 * (every 50th cancelled), forwarded to a 4-partition topic, and the projection is timed from its start until it has
 * applied every event (process CPU time, so H2's background threads count). Placing all before shipping any puts an
 * order's first and later events in different batches, as in a saturated demo run: one insert and one update per
 * order. A warm-up round on another topic (a quarter of N) runs first. Not a test (surefire does not pick it up); run
 * it against the built CLI's libraries, e.g. {@code java -cp "<test-classes>:tributary-cli/target/lib/*"
 * io.tributary.examples.ReadModelBench 20000 [batchEvents batchWaitMs maxBuffered]}.
 */
public final class ReadModelBench {
    static int[] batch;

    static io.tributary.processing.ProcessorConfig config(String topic) {
        return batch == null ? OrderSummaryProjection.defaultConfig(topic)
                : io.tributary.processing.ProcessorConfig.of("order-summary", topic)
                        .withBatching(batch[0], 1 << 24, java.time.Duration.ofMillis(batch[1]))
                        .withConcurrencyPerPartition(2).withMaxBufferedPerPartition(batch[2])
                        .withCommitInterval(java.time.Duration.ofMillis(200));
    }

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        if (args.length > 1) {
            batch = new int[]{Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3])};
        }
        Path dir = Files.createTempDirectory("rmbench");
        try (OrderFlowFixture flow = new OrderFlowFixture(dir, "orders", 4, 10)) {
            flow.log.admin().createTopic(NewTopic.of("warm", 4));
            for (var s : List.of(EventSchemas.ORDER_PLACED_V1, EventSchemas.PAYMENT_CONFIRMED, EventSchemas.ORDER_SHIPPED,
                    EventSchemas.ORDER_CANCELLED)) {
                flow.registry.register(EventSchemas.subject("warm", s), SchemaText.avro(s.toString()));
            }
            try (Connection c = flow.db.getConnection()) {
                for (String p : List.of("w_", "t_")) {
                    OrderForwarder.createTables(c, p);
                    OrderSummaryProjection.createTables(c, p);
                }
                OrderSummaryProjection.initOffsets(c, "w_", "warm", 4);
                OrderSummaryProjection.initOffsets(c, "t_", "orders", 4);
            }
            long warmEvents = fill(flow, "warm", "w", n / 4, "w_");
            long events = fill(flow, "orders", "o", n, "t_");
            round(flow, "warm", "w_", warmEvents);
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            round(flow, "orders", "t_", events);
            long cpu = os.getProcessCpuTime() - cpu0;
            long wall = System.nanoTime() - t0;
            System.out.printf("RESULT orders=%d events=%d cpu_s=%.3f wall_s=%.3f cpu_us_per_event=%.1f%n", n, events,
                    cpu / 1e9, wall / 1e9, cpu / 1e3 / events);
        }
    }

    private static void round(OrderFlowFixture flow, String topic, String prefix, long events) throws Exception {
        try (OrderSummaryProjection p = OrderSummaryProjection.start(flow.log,
                config(topic), flow.db, prefix, flow.registry)) {
            while (p.applied() + p.skipped() < events) {
                if (p.processor().deadLetterDepth() > 0) {
                    throw new IllegalStateException("dead letters");
                }
                Thread.sleep(5);
            }
        }
    }

    private static long fill(OrderFlowFixture flow, String topic, String idPrefix, int n, String fwdPrefix) throws Exception {
        Orders orders = new Orders(flow.store, new OrderEventCodec(flow.registry, topic));
        long[] count = new long[1];
        try (var ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Integer>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    String id = idPrefix + k;
                    orders.place(new Order.Place(id, "c" + (k % 1000), 1000 + k, "EUR", 1, "web"));
                    return 1;
                }));
            }
            for (Future<Integer> f : fs) {
                count[0] += f.get();
            }
            fs.clear();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    String id = idPrefix + k;
                    if (k % 50 == 0) {
                        orders.handle(id, new Order.Cancel("declined"), Headers.empty());
                        return 1;
                    }
                    orders.confirmAndShip(id, new Order.ConfirmPayment("p" + k, 1000 + k), Headers.empty());
                    return 2;
                }));
            }
            for (Future<Integer> f : fs) {
                count[0] += f.get();
            }
        }
        try (OrderForwarder fwd = OrderForwarder.start(flow.store, flow.log, flow.db, fwdPrefix, topic)) {
            while (fwd.forwarded() < count[0]) {
                Thread.sleep(10);
            }
        }
        return count[0];
    }
}
