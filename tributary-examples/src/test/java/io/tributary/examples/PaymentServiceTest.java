package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.tributary.log.NewTopic;
import io.tributary.outbox.OutboxSchema;
import io.tributary.processing.DeadLetter;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The payment service on a real embedded log and H2: one transaction per batch, and what a failing order does to its batch. */
class PaymentServiceTest {

    private static final String ORDERS = "demo-paytest-orders";
    private static final String PAYMENTS = "demo-paytest-payments";

    @TempDir
    Path dir;

    private EventLog log;
    private SchemaRegistry registry;
    private HikariDataSource db;
    private OrderEventCodec codec;

    @BeforeEach
    void open() throws Exception {
        log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
        log.admin().createTopic(NewTopic.of(ORDERS, 1));
        log.admin().createTopic(NewTopic.of(PAYMENTS, 1));
        registry = SchemaRegistry.open(log);
        registry.register(EventSchemas.subject(ORDERS, EventSchemas.ORDER_PLACED_V1),
                SchemaText.avro(EventSchemas.ORDER_PLACED_V1.toString()));
        for (var s : List.of(EventSchemas.PAYMENT_SUCCEEDED, EventSchemas.PAYMENT_FAILED)) {
            registry.register(EventSchemas.subject(PAYMENTS, s), SchemaText.avro(s.toString()));
        }
        codec = new OrderEventCodec(registry, ORDERS);
        db = OrderFulfilmentDemo.dataSource(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty(), 8);
        try (Connection c = db.getConnection()) {
            PaymentService.createTables(c, OrderFulfilmentDemo.TABLE_PREFIX);
        }
        OutboxSchema.create(db, OrderFulfilmentDemo.OUTBOX_TABLES);
    }

    @AfterEach
    void close() throws Exception {
        db.close();
        registry.close();
        log.close();
    }

    /** Publishes {@code OrderPlaced} for each id, as the forwarder would, all before the service starts. */
    private void publish(List<String> orderIds) {
        publish(orderIds, id -> "EUR");
    }

    private void publish(List<String> orderIds, java.util.function.Function<String, String> currency) {
        publish(orderIds, currency, id -> true);
    }

    private void publish(List<String> orderIds, java.util.function.Function<String, String> currency,
                         java.util.function.Predicate<String> withEventId) {
        try (LogProducer producer = log.producer()) {
            for (String id : orderIds) {
                byte[] value = codec.encode(new Order.Placed(id, "c1", 1000, currency.apply(id), 1, "web"));
                Headers headers = Headers.empty().with(StandardHeaders.EVENT_TYPE, EventSchemas.ORDER_PLACED)
                        .with(EventSchemas.STREAM_VERSION_HEADER, "0");
                if (withEventId.test(id)) {
                    headers = headers.with(StandardHeaders.EVENT_ID, UuidV7.next().toString());
                }
                producer.append(ORDERS, new Record(id.getBytes(StandardCharsets.UTF_8), value, headers,
                        System.currentTimeMillis())).join();
            }
        }
    }

    /** Publishes {@code OrderPlaced} for each order id with the given event id, as a redelivery would repeat it. */
    private void publishWithEventIds(Map<String, java.util.UUID> eventIds) {
        try (LogProducer producer = log.producer()) {
            for (Map.Entry<String, java.util.UUID> e : eventIds.entrySet()) {
                producer.append(ORDERS, placed(e.getKey(), e.getValue())).join();
            }
        }
    }

    private Record placed(String orderId, java.util.UUID eventId) {
        byte[] value = codec.encode(new Order.Placed(orderId, "c1", 1000, "EUR", 1, "web"));
        Headers headers = Headers.empty().with(StandardHeaders.EVENT_TYPE, EventSchemas.ORDER_PLACED)
                .with(EventSchemas.STREAM_VERSION_HEADER, "0").with(StandardHeaders.EVENT_ID, eventId.toString());
        return new Record(orderId.getBytes(StandardCharsets.UTF_8), value, headers, System.currentTimeMillis());
    }

    private Map<String, Integer> chargesPerOrder() throws Exception {
        Map<String, Integer> charges = new HashMap<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT order_id FROM " + OrderFulfilmentDemo.TABLE_PREFIX
                     + "payments WHERE status = 'CHARGED'")) {
            while (rs.next()) {
                charges.merge(rs.getString(1), 1, Integer::sum);
            }
        }
        return charges;
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited 60 s for " + what).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    private PaymentService start() {
        return start(db);
    }

    private PaymentService start(javax.sql.DataSource through) {
        return PaymentService.start(log, PaymentService.defaultConfig(ORDERS), through,
                OrderFulfilmentDemo.TABLE_PREFIX, OrderFulfilmentDemo.OUTBOX_TABLES, PAYMENTS, registry,
                PaymentRules.defaults());
    }

    /**
     * The test's database, except that its first {@code failures} connections fail as an exhausted pool does
     * (Hikari's connection timeout): a failure of the database, not of any order.
     */
    private javax.sql.DataSource failingFirst(int failures) {
        java.util.concurrent.atomic.AtomicInteger left = new java.util.concurrent.atomic.AtomicInteger(failures);
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {javax.sql.DataSource.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getConnection") && left.getAndDecrement() > 0) {
                        throw new java.sql.SQLTransientConnectionException("payments - Connection is not available, "
                                + "request timed out after 30000ms");
                    }
                    try {
                        return method.invoke(db, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aBatchWhoseTransactionFailsOnceIsRetriedAsOneTransactionNotOrderByOrder() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 300).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids);

        try (PaymentService payments = start(failingFirst(1))) {
            await(() -> payments.charged() == ids.size(), "300 charges");
            assertThat(payments.transactions()).as("the failed batch was retried whole").isLessThanOrEqualTo(10);
            assertThat(payments.deadLetters().list()).isEmpty();
        }
        assertThat(chargesPerOrder()).hasSize(ids.size()).values().containsOnly(1);
    }

    @Test
    void aBatchWhoseTransactionFailsAgainSendsItsOrdersOneByOneAndChargesEachOnce() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 300).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids);

        try (PaymentService payments = start(failingFirst(2))) {
            await(() -> payments.charged() == ids.size(), "300 charges");
            // the first batch's orders went one transaction each after its second failure
            assertThat(payments.transactions()).isGreaterThan(10);
            assertThat(payments.deadLetters().list()).isEmpty();
        }
        assertThat(chargesPerOrder()).hasSize(ids.size()).values().containsOnly(1);
    }

    @Test
    void anOrderWithoutAnEventIdIsDeadLetteredAloneAndTheRestOfItsBatchIsCharged() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 200).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids, id -> "EUR", id -> !id.equals("o0100"));

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == 199, "the 199 orders with an event id to be charged");
            await(() -> !payments.deadLetters().list().isEmpty(), "the order without an event id to be dead-lettered");
            assertThat(payments.deadLetters().list()).singleElement().satisfies(d -> {
                assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("o0100");
                assertThat(d.failure().orElseThrow().message()).contains("has no event id header");
            });
            assertThat(payments.transactions()).as("the others still share transactions").isLessThanOrEqualTo(10);
        }
        assertThat(chargesPerOrder()).hasSize(199).doesNotContainKey("o0100");
    }

    @Test
    void ordersThatArriveTogetherShareDatabaseTransactionsAndAreEachChargedOnce() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 300).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids);

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == ids.size(), "300 charges");
            // one transaction per micro-batch: the orders were all there before the start, so a handful of batches
            assertThat(payments.transactions()).as("one commit for many orders").isLessThanOrEqualTo(10);
        }
        Map<String, Integer> charges = chargesPerOrder();
        assertThat(charges).hasSize(ids.size());
        assertThat(charges.values()).containsOnly(1);
    }

    @Test
    void aPoisonOrderIsDeadLetteredAloneWhileTheOrdersOfItsBatchShareOneTransaction() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 200).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids, id -> id.equals("o0100") ? "CHF" : "EUR");

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == 199, "the 199 good orders to be charged");
            await(() -> payments.rejected() == 1, "the CHF order to be rejected");
            await(() -> !payments.deadLetters().list().isEmpty(), "the CHF order to be dead-lettered");
            List<DeadLetter> dead = payments.deadLetters().list();
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(new String(d.key(), StandardCharsets.UTF_8)).isEqualTo("o0100");
                assertThat(d.failure().orElseThrow().message()).contains("currency 'CHF'");
            });
            assertThat(payments.transactions()).as("the good orders were not written one by one")
                    .isLessThanOrEqualTo(10);
        }
        assertThat(chargesPerOrder()).hasSize(199).doesNotContainKey("o0100");
    }

    @Test
    void doesNotCountATransactionWhoseOrdersWereAllRedeliveredDuplicates() throws Exception {
        Map<String, java.util.UUID> first = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            first.put(String.format("o%04d", i), UuidV7.next());
        }
        publishWithEventIds(first);

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == first.size(), "the 20 orders to be charged");
            long written = payments.transactions();
            // the same events again, as a crash's redelivery brings them: the inbox skips every one
            publishWithEventIds(first);
            await(() -> payments.duplicatesSkipped() == first.size(), "the 20 redelivered orders to be skipped");
            assertThat(payments.transactions()).as("transactions that wrote no order are not counted")
                    .isEqualTo(written);
            assertThat(payments.charged()).isEqualTo(first.size());
        }
        assertThat(chargesPerOrder()).hasSize(first.size()).values().containsOnly(1);
    }

    /**
     * Pins {@code PaymentService.BATCH_WAIT} from both sides: on an idle partition, an order and one published 2 ms
     * after it wait for each other and share a transaction (with no wait the first went alone as soon as it was
     * polled), and neither waits long (with a wait of seconds the first of each pair would). Pairs, each sent once the
     * one before was charged, so that the partition is idle when each pair starts. The latency bound is generous, for
     * a loaded 2-core machine; the wait is 5 ms.
     */
    @Test
    void ordersArrivingMillisecondsApartOnAnIdlePartitionShareTransactionsAndAreChargedPromptly() throws Exception {
        int pairs = 20;
        int orders = 2 * pairs;
        try (PaymentService payments = start()) {
            // the service is up and has polled the empty partition
            Thread.sleep(500);
            long[] publishedAt = new long[orders];
            long[] chargedAt = new long[orders];
            java.util.concurrent.atomic.AtomicBoolean watching = new java.util.concurrent.atomic.AtomicBoolean(true);
            // The orders of one partition are charged in order, so the k-th charge is order k's.
            Thread watcher = Thread.ofPlatform().start(() -> {
                int seen = 0;
                while (watching.get() && seen < orders) {
                    long now = System.nanoTime();
                    for (long c = Math.min(payments.charged(), orders); seen < c; seen++) {
                        chargedAt[seen] = now;
                    }
                    // Parks rather than spins: a spinning watcher would hold one of the two cores the service needs.
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000L);
                }
            });
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < orders; i += 2) {
                    publishedAt[i] = System.nanoTime();
                    producer.append(ORDERS, placed(String.format("o%04d", i), UuidV7.next())).join();
                    long due = publishedAt[i] + 2_000_000L;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                    publishedAt[i + 1] = System.nanoTime();
                    producer.append(ORDERS, placed(String.format("o%04d", i + 1), UuidV7.next())).join();
                    int charged = i + 2;
                    await(() -> payments.charged() >= charged, "order " + (i + 1) + " to be charged");
                    Thread.sleep(10);
                }
            } finally {
                watching.set(false);
                watcher.join();
            }
            long worstMillis = 0;
            for (int i = 0; i < orders; i++) {
                worstMillis = Math.max(worstMillis, (chargedAt[i] - publishedAt[i]) / 1_000_000L);
            }
            // One transaction per pair with the wait (21 and 26 in two loaded runs: a stalled append splits a pair),
            // two without (40 in two runs): up to 14 split pairs are tolerated.
            assertThat(payments.transactions()).as("transactions for %d pairs of orders 2 ms apart", pairs)
                    .isLessThanOrEqualTo(pairs * 17 / 10);
            // 1 s: far above the 5 ms wait plus a loaded machine's fsync and commit, far below a wait of seconds.
            assertThat(worstMillis).as("the slowest order's time from publish to charge, in ms").isLessThan(1_000);
        }
    }

    @Test
    void handsOnlyOrderPlacedToTheHandlerAndFiltersTheOtherOrderEventsBeforeDispatch() {
        var filter = PaymentService.defaultConfig(ORDERS).eventFilter();
        assertThat(filter.test(event(EventSchemas.ORDER_PLACED))).isTrue();
        assertThat(filter.test(event("OrderConfirmed"))).isFalse();
        assertThat(filter.test(event("OrderShipped"))).isFalse();
    }

    private static io.tributary.log.LogRecord event(String type) {
        return new io.tributary.log.LogRecord(ORDERS, 0, 0, 0, "o1".getBytes(StandardCharsets.UTF_8), new byte[0],
                Headers.empty().with(StandardHeaders.EVENT_TYPE, type));
    }

    @Test
    void anOrderThatCannotBeWrittenFailsAloneAndTheOthersInItsTransactionAreCharged() throws Exception {
        // An order id longer than the payments table's order_id column: its insert fails in the database, after the
        // orders around it were written in the same shared transaction.
        String unwritable = "o" + "x".repeat(80);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add(String.format("o%04d", i));
        }
        ids.add(50, unwritable);
        publish(ids);

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == 100, "the 100 writable orders to be charged");
            await(() -> payments.deadLetters().list().stream().anyMatch(d -> d.status() == DeadLetter.Status.DEAD),
                    "the unwritable order to be dead-lettered after its retries");
            List<DeadLetter> dead = payments.deadLetters().list();
            assertThat(dead).singleElement().satisfies(d -> assertThat(new String(d.key(), StandardCharsets.UTF_8))
                    .isEqualTo(unwritable));
        }
        Map<String, Integer> charges = chargesPerOrder();
        assertThat(charges).hasSize(100).doesNotContainKey(unwritable);
        assertThat(charges.values()).containsOnly(1);
    }

    /**
     * Payment rows go in multi-row inserts of power-of-two pieces (a batch of 300 is 64 + 64 + ... + 32 + 8 + 4): every
     * row must carry its own order's values and the id of its own outbox event, whatever piece it landed in.
     */
    @Test
    void paymentRowsWrittenInPiecesEachCarryTheirOwnOrdersOutboxEvent() throws Exception {
        List<String> ids = java.util.stream.IntStream.range(0, 300).mapToObj(i -> String.format("o%04d", i)).toList();
        publish(ids);

        try (PaymentService payments = start()) {
            await(() -> payments.charged() == ids.size(), "300 charges");
        }
        Map<String, String> keyOfPaymentsEvent = new HashMap<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT p.order_id, o.msg_key FROM "
                     + OrderFulfilmentDemo.TABLE_PREFIX + "payments p JOIN " + OrderFulfilmentDemo.OUTBOX_TABLES.outbox()
                     + " o ON o.event_id = p.outbox_event_id")) {
            while (rs.next()) {
                keyOfPaymentsEvent.put(rs.getString(1), new String(rs.getBytes(2), StandardCharsets.UTF_8));
            }
        }
        assertThat(keyOfPaymentsEvent).as("each payment row points at the outbox event of its own order")
                .hasSize(ids.size()).allSatisfy((order, key) -> assertThat(key).isEqualTo(order));
    }
}
