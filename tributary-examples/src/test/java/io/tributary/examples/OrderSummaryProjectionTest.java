package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.Headers;
import io.tributary.eventstore.EventStore;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.Orders;
import io.tributary.examples.readmodel.OrderSummaryProjection;
import io.tributary.examples.readmodel.OrderSummaryQueries;
import io.tributary.log.EventLog;
import io.tributary.schema.SchemaRegistry;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    private OrderFlowFixture flow;
    private EventLog log;
    private SchemaRegistry registry;
    private EventStore store;
    private HikariDataSource db;

    @BeforeEach
    void open() throws Exception {
        flow = new OrderFlowFixture(dir, TOPIC, 2, 8);
        log = flow.log;
        registry = flow.registry;
        store = flow.store;
        db = flow.db;
        try (Connection c = db.getConnection()) {
            OrderForwarder.createTables(c, "a_");
            OrderForwarder.createTables(c, "b_");
            OrderSummaryProjection.createTables(c, "t_");
            OrderSummaryProjection.initOffsets(c, "t_", TOPIC, 2);
        }
    }

    @AfterEach
    void close() throws Exception {
        flow.close();
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
        java.util.Queue<String> prepared = new java.util.concurrent.ConcurrentLinkedQueue<>();
        // On H2: rows written with multi-row INSERT and MERGE statements.
        appliesEachOrderEventOnce(namedAs(db, "H2", prepared));
        List<String> multiRow = prepared.stream().filter(t -> t.startsWith("MERGE INTO")
                || t.startsWith("INSERT INTO t_order_summary")).toList();
        java.util.Set<String> instances = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        instances.addAll(multiRow);
        // Built once per size when the projection starts, not again for every statement of every batch.
        assertThat(multiRow).as("multi-row statements prepared").hasSizeGreaterThan(instances.size());
        assertThat(instances).as("instances of their texts").hasSameSizeAs(new java.util.HashSet<>(multiRow));
        // Revenue rows are added to with plain UPDATEs: H2's MERGE over-counted them under concurrent batches (the
        // demo's read-model check failed on two customers' revenue).
        assertThat(prepared).as("statements prepared").noneMatch(t -> t.startsWith("MERGE INTO t_customer_revenue"))
                .anyMatch(t -> t.startsWith("UPDATE t_customer_revenue SET shipped_orders"));
    }

    @Test
    void appliesEachOrderEventOnceWithJdbcBatchesOnADatabaseOtherThanH2() throws Exception {
        // The same H2, named as another database: the projection writes its rows as JDBC batches of single-row
        // statements, the path it takes on PostgreSQL and MariaDB.
        java.util.Queue<String> prepared = new java.util.concurrent.ConcurrentLinkedQueue<>();
        appliesEachOrderEventOnce(namedAs(db, "PostgreSQL", prepared));
        // Else a wrong path (say the H2 test's) passes here unnoticed, and the JDBC batches go untested.
        assertThat(prepared).as("statements prepared").anyMatch(t -> t.startsWith("UPDATE t_order_summary SET status"))
                .noneMatch(t -> t.startsWith("MERGE INTO"));
    }

    /**
     * {@code base}, with connections whose metadata give {@code product} as the database's name, and that add the text
     * of every statement they prepare to {@code prepared}.
     */
    private javax.sql.DataSource namedAs(javax.sql.DataSource base, String product, java.util.Queue<String> prepared) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object result = invoke(m, base, args);
                    if (!m.getName().equals("getConnection")) {
                        return result;
                    }
                    Connection real = (Connection) result;
                    return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[]{Connection.class}, (p2, m2, args2) -> {
                                if (m2.getName().equals("prepareStatement")) {
                                    prepared.add((String) args2[0]);
                                }
                                Object r = invoke(m2, real, args2);
                                if (!m2.getName().equals("getMetaData")) {
                                    return r;
                                }
                                java.sql.DatabaseMetaData meta = (java.sql.DatabaseMetaData) r;
                                return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                                        new Class<?>[]{java.sql.DatabaseMetaData.class}, (p3, m3, args3) ->
                                                m3.getName().equals("getDatabaseProductName") ? product
                                                        : invoke(m3, meta, args3));
                            });
                });
    }

    /** {@link #namedAs(javax.sql.DataSource, String, java.util.Queue)} without recording the statements. */
    private javax.sql.DataSource namedAs(javax.sql.DataSource base, String product) {
        return namedAs(base, product, new java.util.concurrent.ConcurrentLinkedQueue<>());
    }

    private void appliesEachOrderEventOnce(javax.sql.DataSource projectionDb) throws Exception {
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

        java.util.Queue<List<String>> writes = new java.util.concurrent.ConcurrentLinkedQueue<>();
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), orderWrites(projectionDb, writes), "t_", registry)) {
            awaitTrue(() -> projection.applied() + projection.skipped() == 2 * events, "every copy to be projected");

            // Two instances during a rebalance may write the same orders: in one order they never deadlock.
            assertThat(writes).as("order ids of each write of order rows").allMatch(ids -> ids.stream().sorted()
                    .toList().equals(ids)).anyMatch(ids -> ids.size() > 1);
            assertThat(projection.applied()).isEqualTo(events);
            assertThat(projection.skipped()).isEqualTo(events);
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).isEqualTo(expectedRevenue);
        }
    }

    /**
     * {@code base}, adding to {@code writes} the order ids each write of order rows (a JDBC batch of updates or inserts,
     * or one multi-row statement) sets, in the order it sets them.
     */
    private javax.sql.DataSource orderWrites(javax.sql.DataSource base, java.util.Queue<List<String>> writes) {
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object conn = invoke(m, base, args);
                    if (!m.getName().equals("getConnection")) {
                        return conn;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[]{Connection.class}, (p2, m2, args2) -> {
                                Object st = invoke(m2, conn, args2);
                                if (!m2.getName().equals("prepareStatement") || !java.util.regex.Pattern.compile(
                                        "(UPDATE|INSERT INTO|MERGE INTO) t_order_summary\\b.*").matcher(
                                        (String) args2[0]).matches()) {
                                    return st;
                                }
                                List<String> ids = new java.util.ArrayList<>();
                                return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                                        new Class<?>[]{java.sql.PreparedStatement.class}, (p3, m3, args3) -> {
                                            // Order ids are o<n>; customers c<n>, statuses and channels are words.
                                            if (m3.getName().equals("setString")
                                                    && ((String) args3[1]).matches("o\\d+")) {
                                                ids.add((String) args3[1]);
                                            }
                                            if (m3.getName().startsWith("execute")) {
                                                writes.add(List.copyOf(ids));
                                                ids.clear();
                                            }
                                            return invoke(m3, st, args3);
                                        });
                            });
                });
    }

    /**
     * A data source whose connections run the read model's batched UPDATE of order rows through {@link #beforeUpdate}:
     * the test plays a second writer there, between the batch's read and its save.
     */
    private final class ConflictingWriter {
        /** Conflicts still to cause, all on the thread of the first (one handler call and its redos). */
        final java.util.concurrent.atomic.AtomicInteger remaining;
        volatile Thread target;
        final List<String> taken = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

        ConflictingWriter(int conflicts) {
            remaining = new java.util.concurrent.atomic.AtomicInteger(conflicts);
        }

        javax.sql.DataSource dataSource() {
            return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                        Object result = invoke(m, db, args);
                        return m.getName().equals("getConnection") ? connection((Connection) result) : result;
                    });
        }

        private Connection connection(Connection real) {
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{Connection.class}, (p, m, args) -> {
                        Object result = invoke(m, real, args);
                        if (m.getName().equals("prepareStatement") && args.length == 1
                                && (((String) args[0]).startsWith("UPDATE t_order_summary SET status")
                                || ((String) args[0]).startsWith("MERGE INTO t_order_summary"))) {
                            return statement((java.sql.PreparedStatement) result);
                        }
                        return result;
                    });
        }

        private java.sql.PreparedStatement statement(java.sql.PreparedStatement real) {
            Map<Integer, Object> params = new HashMap<>();
            List<Map<Integer, Object>> batch = new java.util.ArrayList<>();
            return (java.sql.PreparedStatement) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[]{java.sql.PreparedStatement.class}, (p, m, args) -> {
                        switch (m.getName()) {
                            case "setString", "setLong", "setInt" -> params.put((Integer) args[0], args[1]);
                            case "addBatch" -> batch.add(new HashMap<>(params));
                            case "executeBatch" -> {
                                beforeUpdate(batch);
                                batch.clear();
                            }
                            case "executeUpdate" -> {
                                // On H2 the updates are one MERGE per up to 64 rows, four parameters a row in the
                                // single update's order: status, version, order id, the version it expects.
                                for (int first = 1; params.containsKey(first); first += 4) {
                                    Map<Integer, Object> row = new HashMap<>();
                                    for (int k = 0; k < 4; k++) {
                                        row.put(k + 1, params.get(first + k));
                                    }
                                    batch.add(row);
                                }
                                beforeUpdate(batch);
                                batch.clear();
                                params.clear();
                            }
                            default -> {
                            }
                        }
                        return invoke(m, real, args);
                    });
        }

        /** Applies one row of the batch as another instance would (row and revenue), so this batch's update misses. */
        private void beforeUpdate(List<Map<Integer, Object>> rows) throws Exception {
            Thread me = Thread.currentThread();
            if (remaining.get() == 0 || (target != null && target != me)) {
                return;
            }
            for (Map<Integer, Object> r : rows) {
                // The read model's update: status, version, order id, the version it expects.
                if (!"SHIPPED".equals(r.get(1))) {
                    continue;
                }
                String orderId = (String) r.get(3);
                int i = Integer.parseInt(orderId.substring(1));   // placed by the test as customer c<i % 11>, 1000 + i
                String customer = "c" + (i % 11);
                long amount = 1000 + i;
                target = me;
                try (Connection other = db.getConnection();
                     var up = other.prepareStatement("UPDATE t_order_summary SET status = ?, version = ? "
                             + "WHERE order_id = ? AND version = ?");
                     var rev = other.prepareStatement("UPDATE t_customer_revenue SET shipped_orders = "
                             + "shipped_orders + 1, revenue_cents = revenue_cents + ? WHERE customer_id = ?")) {
                    up.setString(1, "SHIPPED");
                    up.setLong(2, (Long) r.get(2));
                    up.setString(3, orderId);
                    up.setLong(4, (Long) r.get(4));
                    assertThat(up.executeUpdate()).isEqualTo(1);
                    rev.setLong(1, amount);
                    rev.setString(2, customer);
                    if (rev.executeUpdate() == 0) {
                        try (var in = other.prepareStatement("INSERT INTO t_customer_revenue (customer_id, "
                                + "shipped_orders, revenue_cents) VALUES (?, 1, ?)")) {
                            in.setString(1, customer);
                            in.setLong(2, amount);
                            in.executeUpdate();
                        }
                    }
                }
                taken.add(orderId);
                remaining.decrementAndGet();
                return;
            }
        }
    }

    private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (java.lang.reflect.InvocationTargetException e) {
            throw e.getCause();
        }
    }

    @Test
    void redoesABatchWhoseRowAnotherWriterChangedAfterTheReadAndCountsEachShippedOrderOnce() throws Exception {
        redoesABatchWhoseRowAnotherWriterChanged(null);   // on H2: a MERGE whose count comes up short
    }

    @Test
    void redoesABatchWhoseRowAnotherWriterChangedWithJdbcBatchesOnADatabaseOtherThanH2() throws Exception {
        // The path PostgreSQL and MariaDB take: a batched update whose count for the changed row is 0.
        redoesABatchWhoseRowAnotherWriterChanged("PostgreSQL");
    }

    /** With {@code product} null, on {@link #db} as H2; else on it named as {@code product}. */
    private void redoesABatchWhoseRowAnotherWriterChanged(@org.jspecify.annotations.Nullable String product)
            throws Exception {
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 200; i++) {
            orders.place(new Order.Place("o" + i, "c" + (i % 11), 1000 + i, "EUR", 1, "web"));
            expectedStatus.put("o" + i, "PLACED");
        }
        ConflictingWriter writer = new ConflictingWriter(7);   // more than the processor's 5 attempts of one batch
        javax.sql.DataSource projectionDb = product == null ? writer.dataSource() : namedAs(writer.dataSource(), product);
        // Else two partitions' batches racing to insert one customer's revenue row is an eighth, genuine conflict.
        createRevenueRows(11);
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), projectionDb, "t_", registry)) {
            try (OrderForwarder placed = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() == 200, "the placed orders");
            }
            // Shipped while no forwarder runs, then forwarded in one burst: the first batch holding shipments has
            // more than 7 of them on every partition however slow the machine (shipped one at a time with a
            // forwarder running, a loaded machine spread them over batches of fewer than 7).
            for (int i = 0; i < 200; i += 2) {
                orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                expectedStatus.put("o" + i, "SHIPPED");
                expectedRevenue.merge("c" + (i % 11), 1000L + i, Long::sum);
            }
            try (OrderForwarder shipped = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() + projection.skipped() == 400
                        || projection.processor().deadLetterDepth() > 0, "the shipments");

                assertThat(writer.taken).as("rows the other writer changed under a batch").hasSize(7);
                assertThat(projection.conflicts()).isEqualTo(7);
                assertThat(projection.processor().deadLetterDepth()).isZero();
                // The other writer applied the taken orders' events; the redone batch skipped them.
                assertThat(projection.applied() + projection.skipped()).isEqualTo(400);
                assertThat(projection.skipped()).isGreaterThanOrEqualTo(7);
                OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
                assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
                assertThat(queries.revenueByCustomer()).as("each shipped order counted once").isEqualTo(expectedRevenue);
            }
        }
    }

    @Test
    void keysRowsByTheRequestedIdWhenTheDatabaseReturnsThemPadded() throws Exception {
        try (Connection c = db.getConnection(); var s = c.createStatement()) {
            // As a table created by hand on an external database might be: CHAR comes back padded with spaces.
            s.execute("CREATE TABLE p_order_summary (order_id CHAR(64) PRIMARY KEY, customer_id VARCHAR(64) NOT NULL, "
                    + "amount_cents BIGINT NOT NULL, status VARCHAR(16) NOT NULL, version BIGINT NOT NULL, "
                    + "placed_schema_version INT NOT NULL, sales_channel VARCHAR(32) NOT NULL)");
            OrderSummaryProjection.createTables(c, "p_");
            OrderSummaryProjection.initOffsets(c, "p_", TOPIC, 2);
        }
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 50; i++) {
            orders.place(new Order.Place("o" + i, "c" + (i % 5), 1000 + i, "EUR", 1, "web"));
        }
        try (OrderForwarder forwarder = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
            try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                    OrderSummaryProjection.defaultConfig(TOPIC), db, "p_", registry)) {
                awaitTrue(() -> projection.applied() == 50, "the placed orders");
            }
            for (int i = 0; i < 50; i++) {
                orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                expectedRevenue.merge("c" + (i % 5), 1000L + i, Long::sum);
            }
            // A new instance knows none of the rows: every row is read back from the CHAR column.
            try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                    OrderSummaryProjection.defaultConfig(TOPIC), db, "p_", registry)) {
                awaitTrue(() -> projection.applied() == 100 || projection.processor().deadLetterDepth() > 0,
                        "the shipments");
                assertThat(projection.processor().deadLetterDepth()).isZero();
                assertThat(new OrderSummaryQueries(db, "p_").revenueByCustomer()).isEqualTo(expectedRevenue);
            }
        }
    }

    @Test
    void appliesTheLaterEventsOfAnOrderItWroteWithoutReadingTheRowAgain() throws Exception {
        appliesTheLaterEventsWithoutReadingTheRowAgain(null);   // on H2: MERGE on the remembered version
    }

    @Test
    void appliesTheLaterEventsOfAnOrderItWroteWithoutReadingTheRowAgainWithJdbcBatches() throws Exception {
        // The path PostgreSQL and MariaDB take: batched single-row updates on the remembered version.
        appliesTheLaterEventsWithoutReadingTheRowAgain("PostgreSQL");
    }

    /** With {@code product} null, on {@link #db} as H2; else on it named as {@code product}. */
    private void appliesTheLaterEventsWithoutReadingTheRowAgain(@org.jspecify.annotations.Nullable String product)
            throws Exception {
        javax.sql.DataSource base = product == null ? db : namedAs(db, product);
        java.util.concurrent.atomic.AtomicInteger rowReads = new java.util.concurrent.atomic.AtomicInteger();
        javax.sql.DataSource counting = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object conn = invoke(m, base, args);
                    if (!m.getName().equals("getConnection")) {
                        return conn;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[]{Connection.class}, (p2, m2, args2) -> {
                                if (m2.getName().equals("prepareStatement")
                                        && ((String) args2[0]).startsWith("SELECT order_id")) {
                                    rowReads.incrementAndGet();
                                }
                                return invoke(m2, conn, args2);
                            });
                });
        // Else two partitions' batches racing to insert one customer's revenue row is a genuine conflict, whose redo
        // reads the batch's rows.
        createRevenueRows(7);
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            orders.place(new Order.Place("o" + i, "c" + (i % 7), 1000 + i, "EUR", 1, "web"));
            expectedStatus.put("o" + i, "PLACED");
        }
        try (OrderForwarder forwarder = OrderForwarder.start(store, log, db, "a_", TOPIC);
             OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                     OrderSummaryProjection.defaultConfig(TOPIC), counting, "t_", registry)) {
            awaitTrue(() -> projection.applied() == 60, "the placed orders");
            for (int i = 0; i < 60; i++) {   // later batches than the inserts
                if (i % 2 == 0) {
                    orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                    expectedStatus.put("o" + i, "SHIPPED");
                    expectedRevenue.merge("c" + (i % 7), 1000L + i, Long::sum);
                } else {
                    orders.handle("o" + i, new Order.Cancel("declined"), Headers.empty());
                    expectedStatus.put("o" + i, "CANCELLED");
                }
            }
            awaitTrue(() -> projection.applied() == 150 || projection.processor().deadLetterDepth() > 0,
                    "the shipments and cancellations");

            assertThat(projection.processor().deadLetterDepth()).isZero();
            assertThat(rowReads).as("reads of order rows").hasValue(0);
            assertThat(projection.conflicts()).isZero();
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).isEqualTo(expectedRevenue);
        }
    }

    @Test
    void refusesToStartOnADriverThatAnswersBatchedUpdatesWithoutCounts() {
        // Like MariaDB's bulk statements: every batched update says SUCCESS_NO_INFO.
        javax.sql.DataSource noCounts = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object conn = invoke(m, db, args);
                    if (!m.getName().equals("getConnection")) {
                        return conn;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[]{Connection.class}, (p2, m2, args2) -> {
                                Object st = invoke(m2, conn, args2);
                                if (!m2.getName().equals("prepareStatement")) {
                                    return st;
                                }
                                return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                                        new Class<?>[]{java.sql.PreparedStatement.class}, (p3, m3, args3) -> {
                                            Object r = invoke(m3, st, args3);
                                            if (m3.getName().equals("executeBatch")) {
                                                int[] counts = ((int[]) r).clone();
                                                java.util.Arrays.fill(counts, java.sql.Statement.SUCCESS_NO_INFO);
                                                return counts;
                                            }
                                            return r;
                                        });
                            });
                });

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OrderSummaryProjection.start(log,
                        OrderSummaryProjection.defaultConfig(TOPIC), noCounts, "t_", registry))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SUCCESS_NO_INFO").hasMessageContaining("rewriteBatchedStatements=false");
    }

    @Test
    void twoBatchesShippingANewCustomersFirstOrdersAtOnceInsertItsRevenueRowOnceAndCountBoth() throws Exception {
        // The first shipments of one customer, on both partitions (order ids spread over them), each partition's
        // batch finding no revenue row: both go to insert it.
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        long expected = 0;
        for (int i = 0; i < 20; i++) {
            orders.place(new Order.Place("o" + i, "cnew", 1000 + i, "EUR", 1, "web"));
            orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
            expected += 1000 + i;
        }
        // The first two revenue inserts wait for each other, so both transactions have found the row missing before
        // either inserts it: one insert then fails on the primary key once the other commits.
        java.util.concurrent.CyclicBarrier bothInserting = new java.util.concurrent.CyclicBarrier(2);
        java.util.concurrent.atomic.AtomicInteger held = new java.util.concurrent.atomic.AtomicInteger();
        javax.sql.DataSource racing = interceptingStatements("INSERT INTO t_customer_revenue", (m, args) -> {
            if (m.getName().equals("executeBatch") && held.getAndIncrement() < 2) {
                bothInserting.await(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        });
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), racing, "t_", registry);
             OrderForwarder forwarder = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
            awaitTrue(() -> projection.applied() == 20 * 3 || projection.processor().deadLetterDepth() > 0,
                    "every order's events");

            assertThat(held).as("revenue inserts").hasValueGreaterThanOrEqualTo(2);
            assertThat(projection.conflicts()).as("the losing insert redone as a conflict").isPositive();
            assertThat(projection.processor().deadLetterDepth()).isZero();
            assertThat(new OrderSummaryQueries(db, "t_").revenueByCustomer()).isEqualTo(Map.of("cnew", expected));
        }
    }

    /** Revenue rows for customers {@code c0..c<n-1>}, so no two batches race to insert one (a genuine conflict). */
    private void createRevenueRows(int customers) throws Exception {
        try (Connection c = db.getConnection(); var in = c.prepareStatement("INSERT INTO t_customer_revenue "
                + "(customer_id, shipped_orders, revenue_cents) VALUES (?, 0, 0)")) {
            for (int i = 0; i < customers; i++) {
                in.setString(1, "c" + i);
                in.executeUpdate();
            }
        }
    }

    @Test
    void pastItsBoundRemembersTheNewestOrdersAndReadsTheOlderOnesAgain() throws Exception {
        java.util.Set<String> readIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
        javax.sql.DataSource recording = interceptingStatements("SELECT order_id", (m, args) -> {
            if (m.getName().equals("setString")) {
                readIds.add((String) args[1]);
            }
        });
        createRevenueRows(3);
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>(Map.of("c0", 0L, "c1", 0L, "c2", 0L));
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), recording, "t_", registry, 10)) {
            try (OrderForwarder placed = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                // Three waves of 10, each projected before the next: the bound of 10 holds the last wave only.
                for (int wave = 0; wave < 3; wave++) {
                    for (int i = wave * 10; i < wave * 10 + 10; i++) {
                        orders.place(new Order.Place("o" + i, "c" + (i % 3), 1000 + i, "EUR", 1, "web"));
                        expectedStatus.put("o" + i, "PLACED");
                    }
                    int done = wave * 10 + 10;
                    awaitTrue(() -> projection.applied() == done, "wave " + wave + " of placed orders");
                }
            }
            assertThat(readIds).as("rows read while placing").isEmpty();
            // The remembered (newest) orders ship first, and all shipments are forwarded in one burst: an order of the
            // older ones remembered as CONFIRMED in between could otherwise push a remembered one out first.
            for (int n = 0; n < 30; n++) {
                int i = (n + 20) % 30;
                orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                expectedStatus.put("o" + i, "SHIPPED");
                expectedRevenue.merge("c" + (i % 3), 1000L + i, Long::sum);
            }
            try (OrderForwarder shipped = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() == 90 || projection.processor().deadLetterDepth() > 0,
                        "the shipments");
            }

            assertThat(projection.processor().deadLetterDepth()).isZero();
            assertThat(projection.conflicts()).isZero();
            java.util.Set<String> oldest = new java.util.HashSet<>();
            for (int i = 0; i < 20; i++) {
                oldest.add("o" + i);
            }
            assertThat(readIds).as("the rows read: those of the 20 orders forgotten past the bound of 10")
                    .isEqualTo(oldest);
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).isEqualTo(expectedRevenue);
        }
    }

    @Test
    void countsAnOrderPlacedRedeliveredAfterItsOrderWasForgottenAsAMissNotAConflict() throws Exception {
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 120; i++) {
            orders.place(new Order.Place("o" + i, "c" + (i % 11), 1000 + i, "EUR", 1, "web"));
            if (i % 2 == 0) {
                orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                expectedStatus.put("o" + i, "SHIPPED");
                expectedRevenue.merge("c" + (i % 11), 1000L + i, Long::sum);
            } else {
                expectedStatus.put("o" + i, "PLACED");
            }
        }
        long events = 120 + 60 * 2;
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), db, "t_", registry)) {
            try (OrderForwarder first = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() == events, "the first copy of every event");
            }
            // Concurrent first inserts of one customer's revenue row may have conflicted; the copies write nothing.
            long conflictsBefore = projection.conflicts();
            assertThat(projection.newOrderMisses()).isZero();
            // The shipped orders are final, so forgotten: their OrderPlaced copies look like new orders.
            try (OrderForwarder second = OrderForwarder.start(store, log, db, "b_", TOPIC)) {
                awaitTrue(() -> projection.applied() + projection.skipped() == 2 * events
                        || projection.processor().deadLetterDepth() > 0, "the second copy of every event");
            }

            assertThat(projection.processor().deadLetterDepth()).isZero();
            assertThat(projection.applied()).isEqualTo(events);
            assertThat(projection.skipped()).isEqualTo(events);
            assertThat(projection.newOrderMisses()).as("batches that took a shipped order's copy as new").isPositive();
            assertThat(projection.conflicts()).as("no other writer changed a row").isEqualTo(conflictsBefore);
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).isEqualTo(expectedRevenue);
        }
    }

    @Test
    void readsTheRowsAgainAfterACommitThatAppliedButReportedAFailure() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failNextCommit = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicInteger failedCommits = new java.util.concurrent.atomic.AtomicInteger();
        javax.sql.DataSource lossy = (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object conn = invoke(m, db, args);
                    if (!m.getName().equals("getConnection")) {
                        return conn;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(),
                            new Class<?>[]{Connection.class}, (p2, m2, args2) -> {
                                Object r = invoke(m2, conn, args2);
                                // As when the connection drops after the database committed: the commit applied,
                                // but the projection hears it failed.
                                if (m2.getName().equals("commit") && failNextCommit.compareAndSet(true, false)) {
                                    failedCommits.incrementAndGet();
                                    throw new java.sql.SQLException("connection reset after commit", "08006");
                                }
                                return r;
                            });
                });
        createRevenueRows(7);
        Orders orders = new Orders(store, new OrderEventCodec(registry, TOPIC));
        Map<String, String> expectedStatus = new HashMap<>();
        Map<String, Long> expectedRevenue = new HashMap<>();
        for (int i = 0; i < 7; i++) {
            expectedRevenue.put("c" + i, 0L);
        }
        for (int i = 0; i < 80; i++) {
            orders.place(new Order.Place("o" + i, "c" + (i % 7), 1000 + i, "EUR", 1, "web"));
        }
        long events = 80 + 80 * 2;
        try (OrderSummaryProjection projection = OrderSummaryProjection.start(log,
                OrderSummaryProjection.defaultConfig(TOPIC), lossy, "t_", registry)) {
            try (OrderForwarder placed = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() == 80, "the placed orders");
            }
            for (int i = 0; i < 80; i++) {
                orders.confirmAndShip("o" + i, new Order.ConfirmPayment("p" + i, 1000 + i), Headers.empty());
                expectedStatus.put("o" + i, "SHIPPED");
                expectedRevenue.merge("c" + (i % 7), 1000L + i, Long::sum);
            }
            failNextCommit.set(true);   // the first batch of shipments, of orders the projection remembers
            try (OrderForwarder shipped = OrderForwarder.start(store, log, db, "a_", TOPIC)) {
                awaitTrue(() -> projection.applied() + projection.skipped() == events
                        || projection.processor().deadLetterDepth() > 0, "the shipments");
            }

            assertThat(failedCommits).hasValue(1);
            assertThat(projection.processor().deadLetterDepth()).isZero();
            assertThat(projection.applied() + projection.skipped()).isEqualTo(events);
            assertThat(projection.skipped()).as("the events of the batch whose commit applied").isPositive();
            // Had it trusted what it remembered from before that batch, the retry's updates would have missed.
            assertThat(projection.conflicts()).isZero();
            OrderSummaryQueries queries = new OrderSummaryQueries(db, "t_");
            assertThat(queries.statusByOrder()).isEqualTo(expectedStatus);
            assertThat(queries.revenueByCustomer()).as("each shipped order counted once").isEqualTo(expectedRevenue);
        }
    }

    /** What a test does before each call on an intercepted statement. */
    @FunctionalInterface
    private interface StatementCall {
        void before(java.lang.reflect.Method method, Object[] args) throws Exception;
    }

    /**
     * {@code db}, with {@code call} run before every call on a statement prepared from SQL starting with
     * {@code sqlPrefix}.
     */
    private javax.sql.DataSource interceptingStatements(String sqlPrefix, StatementCall call) {
        ClassLoader loader = getClass().getClassLoader();
        return (javax.sql.DataSource) java.lang.reflect.Proxy.newProxyInstance(loader,
                new Class<?>[]{javax.sql.DataSource.class}, (p, m, args) -> {
                    Object conn = invoke(m, db, args);
                    if (!m.getName().equals("getConnection")) {
                        return conn;
                    }
                    return java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[]{Connection.class},
                            (p2, m2, args2) -> {
                                Object st = invoke(m2, conn, args2);
                                if (!m2.getName().equals("prepareStatement")
                                        || !((String) args2[0]).startsWith(sqlPrefix)) {
                                    return st;
                                }
                                return java.lang.reflect.Proxy.newProxyInstance(loader,
                                        new Class<?>[]{java.sql.PreparedStatement.class}, (p3, m3, args3) -> {
                                            call.before(m3, args3);
                                            return invoke(m3, st, args3);
                                        });
                            });
                });
    }
}
