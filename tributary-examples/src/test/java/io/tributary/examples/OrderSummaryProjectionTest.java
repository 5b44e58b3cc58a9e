package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.Headers;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.Orders;
import io.tributary.examples.readmodel.OrderSummaryProjection;
import io.tributary.examples.readmodel.OrderSummaryQueries;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read model on a real log and H2, fed by the forwarder: batches of well over 64 orders (several multi-row reads,
 * the last one padded), orders placed and shipped within one batch and across batches, and every event delivered
 * twice.
 */
class OrderSummaryProjectionTest {

    private static final String TOPIC = "summary-orders";

    @TempDir
    Path dir;

    private EventLog log;
    private SchemaRegistry registry;
    private EventStore store;
    private HikariDataSource db;

    @BeforeEach
    void open() throws Exception {
        log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
        log.admin().createTopic(NewTopic.of(TOPIC, 2));
        registry = SchemaRegistry.open(log);
        for (var s : List.of(EventSchemas.ORDER_PLACED_V1, EventSchemas.PAYMENT_CONFIRMED, EventSchemas.ORDER_SHIPPED,
                EventSchemas.ORDER_CANCELLED)) {
            registry.register(EventSchemas.subject(TOPIC, s), SchemaText.avro(s.toString()));
        }
        store = EventStores.embedded(log, EmbeddedEventStoreConfig.of(dir.resolve("index")));
        db = OrderFulfilmentDemo.dataSource(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty(), 8);
        try (Connection c = db.getConnection()) {
            OrderForwarder.createTables(c, "a_");
            OrderForwarder.createTables(c, "b_");
            OrderSummaryProjection.createTables(c, "t_");
            OrderSummaryProjection.initOffsets(c, "t_", TOPIC, 2);
        }
    }

    @AfterEach
    void close() throws Exception {
        db.close();
        store.close();
        registry.close();
        log.close();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void appliesEachOrderEventOnceAndSkipsTheirRedeliveriesAcrossMultiRowReads() throws Exception {
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 450; i++) {
            String id = "o" + i;
            String customer = "c" + (i % 11);
            long amount = 1000 + i;
            orders.place(new Order.Place(id, customer, amount, "EUR", 1, "web"));
            if (i % 3 == 0) {
                orders.confirmAndShip(id, new Order.ConfirmPayment("p" + i, amount), Headers.empty());
                expectedStatus.put(id, "SHIPPED");
                expectedRevenue.merge(customer, amount, Long::sum);
            } else if (i % 3 == 1) {
                orders.handle(id, new Order.Cancel("declined"), Headers.empty());
                expectedStatus.put(id, "CANCELLED");
            } else {
                expectedStatus.put(id, "PLACED");
            }
        }
        long events = 450 + 150 * 2 + 150;
        // Two forwarders with their own checkpoints: every event reaches the topic twice, the copy after the original.
        try (OrderForwarder first = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
            awaitTrue(() -> first.forwarded() == events, "the first copy of every event");
        }
        try (OrderForwarder second = OrderForwarder.start(store, log, db, "b_", TOPIC)) {
            awaitTrue(() -> second.forwarded() == events, "the second copy of every event");
        }

        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), db, "t_", registry)) {
            awaitTrue(() -> projection.applied() + projection.skipped() == 2 * events, "every copy to be projected");

            assertThat(projection.applied()).isEqualTo(events);
            assertThat(projection.skipped()).isEqualTo(events);
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).isEqualTo(expectedRevenue);
        }
    }
}
