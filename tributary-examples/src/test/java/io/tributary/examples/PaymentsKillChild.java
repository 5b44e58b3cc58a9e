package io.tributary.examples;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.Headers;
import io.tributary.core.Record;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.payments.PaymentRules;
import io.tributary.examples.payments.PaymentService;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogProducer;
import io.tributary.log.PartitionLag;
import io.tributary.schema.SchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Child JVM of {@link PaymentsKillTest}: the payment service on the demo's embedded H2 database
 * ({@link OrderFulfilmentDemo#embeddedJdbcUrl}, H2's default write delay, and {@link H2Checkpoint}
 * before each offset commit) and the embedded log in {@code dataDir}, as the demo runs it, fed
 * {@code orders} {@code OrderPlaced} events at {@code rate} per second by a producer in this JVM. Prints
 * {@code COMMITTED <sum of the group's committed offsets> PAID <charged + declined>} as soon as it sees the payments
 * group commit offsets (it polls every millisecond), until the parent kills it with SIGKILL.
 *
 * <p>Args: dataDir ordersTopic paymentsTopic orders rate. The topics, schemas and tables exist already (the parent
 * made them).
 */
public final class PaymentsKillChild {

    /** The child ends itself after this long, whatever payments did, so a stalled run cannot outlive the test. */
    private static final long DEADLINE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(90);


    private PaymentsKillChild() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        String ordersTopic = args[1];
        String paymentsTopic = args[2];
        int orders = Integer.parseInt(args[3]);
        int rate = Integer.parseInt(args[4]);
        try (EventLog log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
             SchemaRegistry registry = SchemaRegistry.open(log);
             HikariDataSource db = OrderFulfilmentDemo.dataSource(OrderFulfilmentDemo.embeddedJdbcUrl(dir),
                     Optional.empty(), 8);
             H2Checkpoint checkpoint = new H2Checkpoint(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty());
             PaymentService payments = PaymentService.start(log, PaymentService.defaultConfig(ordersTopic)
                     .withBeforeOffsetCommit(checkpoint), db,
                     OrderFulfilmentDemo.TABLE_PREFIX, OrderFulfilmentDemo.OUTBOX_TABLES, paymentsTopic, registry,
                     PaymentRules.defaults())) {
            OrderEventCodec codec = new OrderEventCodec(registry, ordersTopic);
            // Paced, as the demo's driver places orders under --rate: payments keeps up, so its transactions are
            // small and H2 writes them only on its timer (WRITE_DELAY), not because unsaved changes piled up.
            Thread feeder = Thread.ofPlatform().name("feeder").start(() -> {
                try (LogProducer producer = log.producer()) {
                    long start = System.nanoTime();
                    for (int i = 0; i < orders; i++) {
                        long wait = start + (long) (i * 1e9 / rate) - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        String id = OrderFulfilmentDemo.orderId(i);
                        byte[] value = codec.encode(new Order.Placed(id, "c" + i % 100, 1000 + i % 5000, "EUR",
                                System.currentTimeMillis() * 1000, "web"));
                        Headers headers = Headers.empty().with(StandardHeaders.EVENT_TYPE, EventSchemas.ORDER_PLACED)
                                .with(EventSchemas.STREAM_VERSION_HEADER, "0")
                                .with(StandardHeaders.EVENT_ID, UuidV7.next().toString());
                        producer.append(ordersTopic, new Record(id.getBytes(StandardCharsets.UTF_8), value, headers,
                                System.currentTimeMillis()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long lastCommitted = -1;
            long began = System.nanoTime();
            while (true) {
                long committed = 0;
                for (PartitionLag p : log.admin().describeGroup(PaymentService.INBOX_CONSUMER).offsets()) {
                    committed += Math.max(0, p.committedOffset());
                }
                if (committed != lastCommitted) {
                    // The parent kills right after an offset commit: the moment when the most database commits the
                    // log already counts as done can still be waiting for H2's writer.
                    System.out.println("COMMITTED " + committed + " PAID " + (payments.charged() + payments.declined()));
                    lastCommitted = committed;
                }
                System.out.flush();
                Thread.sleep(1);
                if (!feeder.isAlive() && payments.charged() + payments.declined() >= orders) {
                    System.out.println("NOT KILLED: every order was paid");
                    return;
                }
                if (System.nanoTime() - began > DEADLINE_NANOS) {
                    // The parent waits for a line to kill this JVM; if payments stalled it would wait for ever.
                    System.out.println("GIVING UP: payments did not get through the orders within the deadline");
                    return;
                }
            }
        }
    }
}
