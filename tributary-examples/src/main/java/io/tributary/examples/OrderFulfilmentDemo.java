package io.tributary.examples;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.CommandResult;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.examples.orders.Order;
import io.tributary.examples.orders.OrderEventCodec;
import io.tributary.examples.orders.OrderForwarder;
import io.tributary.examples.orders.Orders;
import io.tributary.examples.orders.PaymentSaga;
import io.tributary.examples.payments.PaymentRules;
import io.tributary.examples.payments.PaymentService;
import io.tributary.examples.readmodel.OrderSummaryProjection;
import io.tributary.examples.readmodel.OrderSummaryQueries;
import io.tributary.kafka.KafkaLogConfig;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.outbox.OutboxRelay;
import io.tributary.outbox.OutboxSchema;
import io.tributary.outbox.OutboxTables;
import io.tributary.outbox.RelayConfig;
import io.tributary.outbox.RelayObserver;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.DeadLetterSelection;
import io.tributary.processing.DeadLetters;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.ProcessorState;
import io.tributary.schema.CompatibilityResult;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import io.tributary.testbroker.KafkaTestBroker;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.HdrHistogram.Histogram;

/**
 * Runs the order-fulfilment system end to end and checks its guarantees: what {@code tributary demo} does.
 *
 * <pre>
 *  driver --Place--> Order aggregate (event store) --forwarder--> [orders] --+--> Payments (inbox, payment row,
 *                                                                           |     outbox) --relay--> [payments]
 *                                                                           +--> order-summary read model (JDBC)
 *  [payments] --> PaymentSaga --ConfirmPayment/Ship or Cancel--> Order aggregate --> ...
 * </pre>
 *
 * <p>One {@link #run} places the orders (switching {@code OrderPlaced} to schema v2 halfway), kills and restarts the
 * payment processor once, waits for every order to settle, deploys the payment fix and redrives the orders in the
 * payment processor's dead-letter queue,
 * then reads back every store and runs {@link DemoChecks}. Not thread-safe: one run at a time per instance; the data
 * folder is wiped at the start and kept afterwards so that {@code tributary demo query} can read the read model.
 */
public final class OrderFulfilmentDemo {

    /** Table names start with this, so the demo's tables are easy to find (and drop) in a shared database. */
    public static final String TABLE_PREFIX = "demo_";
    /** The outbox and inbox tables of the payments service. */
    public static final OutboxTables OUTBOX_TABLES = new OutboxTables(TABLE_PREFIX + "outbox", TABLE_PREFIX + "inbox");

    private static final String[] CURRENCIES = {"EUR", "USD", "GBP"};
    /** The currency the payment handler does not know until the fix: every poison order uses it. */
    static final String POISON_CURRENCY = "CHF";

    private final DemoConfig config;
    private final PrintWriter progress;
    private final boolean liveLine;

    /**
     * @param progress where the live progress line and phase messages go (standard error in the CLI)
     * @param liveLine rewrite the progress line in place ({@code \r}); otherwise print one line every 5 s
     */
    public OrderFulfilmentDemo(DemoConfig config, PrintWriter progress, boolean liveLine) {
        this.config = config;
        this.progress = progress;
        this.liveLine = liveLine;
    }

    /**
     * The JDBC URL of the embedded database in {@code dataDir} (H2, file-based so that queries work afterwards). The
     * services share one pool, so each pooled session sees every service's statements: a query cache of 64 per session
     * (H2's default is 8) keeps them all parsed instead of parsing most statements again on every use. No automatic
     * {@code ANALYZE} ({@code ANALYZE_AUTO=0}): H2 runs one on a table after every 2,000 changed rows, inside whichever
     * commit crosses the line, and a changed schema makes every session drop its parsed statements, so a run of tens of
     * thousands of orders re-parsed its statements in every pooled session over and over. The demo's statements all
     * look rows up by key or by an index prefix, which H2 plans the same without statistics (as it did before the
     * first automatic run).
     *
     * <p>H2's default write delay (500 ms): a commit returns at once and reaches the database file up to half a second
     * later. Payments and the read model commit their log offsets after their H2 commits return, so they make H2
     * write before each offset commit with {@link H2Checkpoint} instead; writing every commit ({@code WRITE_DELAY=0})
     * cost 20-40% more CPU per order and a 4x bigger file.
     */
    public static String embeddedJdbcUrl(Path dataDir) {
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("db").resolve("demo")
                + ";LOCK_TIMEOUT=10000;QUERY_CACHE_SIZE=64;ANALYZE_AUTO=0";
    }

    /** A pooled data source for the demo database. */
    public static HikariDataSource dataSource(String url, Optional<String> user, int poolSize) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        user.ifPresent(hc::setUsername);
        hc.setMaximumPoolSize(poolSize);
        hc.setPoolName("tributary-demo");
        return new HikariDataSource(hc);
    }

    /** Runs the demo and returns its report; {@link DemoReport#passed()} tells whether every check held. */
    public DemoReport run() throws Exception {
        Path dir = config.dataDir();
        wipe(dir);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(MARKER), "Made by 'tributary demo'; wiped at the start of every run.\n");
        String ordersTopic = "orders";
        String paymentsTopic = "payments";
        ProcessorConfig paymentsConfig = PaymentService.defaultConfig(ordersTopic);

        List<AutoCloseable> resources = new ArrayList<>();
        try {
            // --- Infrastructure: the embedded log (event store + schema registry), the topics' log, the database.
            EventLog embedded = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
            resources.add(embedded);
            EventLog topics = embedded;
            String backendName = "embedded";
            if (config.backend() == DemoBackend.KAFKA) {
                String bootstrap;
                if (config.bootstrap().isPresent()) {
                    bootstrap = config.bootstrap().get();
                    backendName = "kafka (" + bootstrap + ")";
                    // A shared cluster may hold topics of an earlier run: this run's topics get their own names.
                    String run = Long.toString(System.currentTimeMillis(), 36);
                    ordersTopic = "orders-" + run;
                    paymentsTopic = "payments-" + run;
                    // The dead-letter topic too: open entries of an earlier, interrupted run would otherwise be
                    // listed and redriven with this run's, and no processor of this run owns their partitions.
                    paymentsConfig = PaymentService.defaultConfig(ordersTopic).withDeadLetter(
                            DeadLetterPolicy.sequenced().withTopic("payments-" + run + ".dlq"));
                } else {
                    say("starting an in-JVM Kafka broker ...");
                    KafkaTestBroker broker = KafkaTestBroker.start();
                    resources.add(broker);
                    bootstrap = broker.bootstrapServers();
                    backendName = "kafka (in-JVM broker)";
                }
                topics = EventLogs.open(Map.of(EventLogs.BACKEND, "kafka", KafkaLogConfig.BOOTSTRAP_SERVERS, bootstrap));
                resources.add(topics);
            }
            topics.admin().createTopic(NewTopic.of(ordersTopic, config.partitions()));
            topics.admin().createTopic(NewTopic.of(paymentsTopic, config.partitions()));

            SchemaRegistry registry = SchemaRegistry.open(embedded);
            resources.add(registry);
            registerSchemas(registry, ordersTopic, paymentsTopic);

            String jdbcUrl = config.jdbcUrl().orElse(embeddedJdbcUrl(dir));
            HikariDataSource db = dataSource(jdbcUrl, config.jdbcUser(), 24);
            resources.add(db);
            String database = createTables(db, ordersTopic);

            EventStore store = EventStores.embedded(embedded,
                    EmbeddedEventStoreConfig.of(dir.resolve("eventstore-index")));
            resources.add(store);
            OrderEventCodec codec = new OrderEventCodec(registry, ordersTopic);
            Orders orders = new Orders(store, codec);

            // --- The services, each started the way a team would start it in its own process.
            // Latency covers the flow itself: redriven orders waited for the fix on purpose and are not counted.
            OrderLatency latency = new OrderLatency(config.rate(), warmupOrders());
            // Payments and the read model commit log offsets after their H2 commits; on H2 (the embedded default, or
            // an H2 URL given with --jdbc-url: its default write delay applies either way) those commits must reach
            // the file first. Both resume from their committed offsets, so a lost row would never be written again.
            // Other databases' commits are durable when they return.
            ProcessorConfig projectionConfig = OrderSummaryProjection.defaultConfig(ordersTopic);
            // The hook has a connection of its own (H2Checkpoint): it runs on the poll loop, which must never wait
            // for the pool the handlers hold. Registered after the pool, so it is closed before it.
            if (jdbcUrl.startsWith("jdbc:h2:")) {
                H2Checkpoint checkpoint = new H2Checkpoint(jdbcUrl, config.jdbcUser());
                resources.add(checkpoint);
                // Once now: a URL or user the hook cannot connect with fails the demo here, where a failing hook later
                // would skip every offset commit with only a warning each time.
                checkpoint.run(Map.of());
                paymentsConfig = paymentsConfig.withBeforeOffsetCommit(checkpoint);
                projectionConfig = projectionConfig.withBeforeOffsetCommit(checkpoint);
            }
            OrderForwarder forwarder = OrderForwarder.start(store, topics, db, TABLE_PREFIX, ordersTopic);
            // Every service is a resource, so an exception below stops them all before the store, the pool and the
            // log they use are closed (in reverse order of registration); the normal end closes them earlier.
            resources.add(forwarder);
            PaymentService payments = PaymentService.start(topics, paymentsConfig, db,
                    TABLE_PREFIX, OUTBOX_TABLES, paymentsTopic, registry, PaymentRules.defaults());
            // After the checkpoint, so closed before it and the pool if anything below throws: their final offset
            // commits run the hook. The normal end closes them earlier; a second close returns at once.
            resources.add(payments);
            AtomicLong relayed = new AtomicLong();
            // Published rows are deleted, not marked: the outbox stays as small as its backlog, so its indexes stay
            // shallow and the relay's gauge refresh (a count by status) stays cheap, where marked rows would pile up
            // for the whole run (the purge keeps them a week). Deleting costs the same index writes as marking.
            OutboxRelay relay = OutboxRelay.start(db, topics, OUTBOX_TABLES, RelayConfig.defaults()
                    .withRelayName("payments-relay").withPollInterval(Duration.ofMillis(10)).withDeleteOnPublish(true),
                    new SimpleMeterRegistry(),
                    new RelayObserver() {
                        @Override
                        public void published(List<UUID> eventIds) {
                            relayed.addAndGet(eventIds.size());
                        }
                    });
            resources.add(relay);
            PaymentSaga saga = PaymentSaga.start(topics, PaymentSaga.defaultConfig(paymentsTopic), orders, registry,
                    latency::confirmed);
            resources.add(saga);
            OrderSummaryProjection projection = OrderSummaryProjection.start(topics, projectionConfig, db,
                    TABLE_PREFIX, registry);
            resources.add(projection);
            OrderSummaryQueries queries = new OrderSummaryQueries(db, TABLE_PREFIX);

            // --- Drive the load and watch it.
            say(String.format("placing %,d orders (%s, %d partitions) ...", config.orders(), backendName,
                    config.partitions()));
            Driver driver = new Driver(orders, codec, registry, ordersTopic, latency);
            long startNanos = System.nanoTime();
            Thread driverThread = Thread.ofPlatform().name("demo-driver").start(driver);
            boolean crashed = !config.crash();
            long lastLine = 0;
            long deadline = startNanos + config.timeout().toNanos();
            long lastEvents = 0;
            long lastTick = startNanos;
            while (true) {
                long settled = saga.confirmed() + saga.cancelled() + payments.rejected();
                if (driver.done() && settled >= driver.placed.get()) {
                    break;
                }
                if (System.nanoTime() > deadline || failed(forwarder, payments, saga, projection)) {
                    break;
                }
                if (!crashed && payments.charged() + payments.declined() + payments.rejected() >= config.orders() / 3) {
                    crashed = true;
                    endLine();
                    say("killing the payment processor (calls commit to the database, then die before committing "
                            + "their offsets) ...");
                    long crashStart = System.nanoTime();
                    payments.crash();
                    Thread.sleep(300);
                    payments.restart();
                    say(String.format("payment processor restarted after %,d ms down; the inbox will see the "
                            + "redelivered events", (System.nanoTime() - crashStart) / 1_000_000));
                }
                Thread.sleep(100);
                long now = System.nanoTime();
                if (now - lastLine >= TimeUnit.MILLISECONDS.toNanos(liveLine ? 500 : 5000)) {
                    long ev = forwarder.forwarded() + payments.charged() + payments.declined();
                    double rate = (ev - lastEvents) / ((now - lastTick) / 1e9);
                    lastEvents = ev;
                    lastTick = now;
                    progressLine(driver, forwarder, payments, saga, relayed.get(), rate);
                    lastLine = now;
                }
            }
            driverThread.join();
            long flowEnd = System.nanoTime();
            double flowSeconds = (flowEnd - startNanos) / 1e9;
            // The read model is off the orders' critical path: the flow can end with it far behind.
            long readModelBehind = Math.max(0, forwarder.forwarded() - projection.applied() - projection.skipped());
            endLine();

            // --- Look at the dead-letter queue, fix the payment handler and redrive what the runtime dead-lettered.
            latency.stop();
            DeadLetters dlq = payments.deadLetters();
            List<DeadLetter> dead = awaitDeadLetters(dlq, payments.rejected(), deadline);
            String dlqExample = dead.stream().flatMap(d -> d.failure().stream()).findFirst()
                    .map(f -> f.exceptionClass().substring(Math.max(f.exceptionClass().lastIndexOf('.'),
                            f.exceptionClass().lastIndexOf('$')) + 1) + ": " + f.message())
                    .orElse("");
            long redriveStart = System.nanoTime();
            if (!dead.isEmpty() && !failed(forwarder, payments, saga, projection)) {
                say(String.format("%,d orders in the dead-letter queue %s, e.g. %s (%s)", dead.size(), dlq.topic(),
                        dead.getFirst().id(), dlqExample));
                say(String.format("deploying the payment fix (it now charges %s) and redriving %,d dead-lettered "
                        + "orders ...", POISON_CURRENCY, dead.size()));
                payments.useRules(PaymentRules.defaults().acceptingCurrency(POISON_CURRENCY));
                dlq.redrive(DeadLetterSelection.all());
                while ((saga.confirmed() + saga.cancelled() < driver.placed.get() || dlq.depth() > 0)
                        && System.nanoTime() < deadline && !failed(forwarder, payments, saga, projection)) {
                    Thread.sleep(50);
                }
            }
            double redriveSeconds = (System.nanoTime() - redriveStart) / 1e9;

            // --- Let the read model catch up, then stop everything and read it all back.
            long catchUpStart = System.nanoTime();
            while (System.nanoTime() < deadline && !failed(forwarder, payments, saga, projection)) {
                Map<String, Long> counts = queries.statusCounts();
                if (counts.getOrDefault("SHIPPED", 0L) + counts.getOrDefault("CANCELLED", 0L) >= driver.placed.get()) {
                    break;
                }
                Thread.sleep(100);
            }
            reportFailures(forwarder, payments, saga, projection);
            long stopStart = System.nanoTime();
            int dlqLeft = dlq.depth();
            saga.close();
            projection.close();
            payments.close();
            relay.close();
            forwarder.close();
            long checkStart = System.nanoTime();
            // Where the time after the flow goes, so that a slow return is explained on the spot.
            say(String.format("after the flow: redrive %.1f s, read model caught up in %.1f s (%,d order events "
                    + "behind when the flow ended), services stopped in %.1f s; checking ...", redriveSeconds,
                    (stopStart - catchUpStart) / 1e9, readModelBehind, (checkStart - stopStart) / 1e9));
            // How well payments' micro-batches filled: each transaction costs a commit and its statements whatever it
            // holds, so orders per transaction says how much of payments' cost was per order and how much per batch.
            long paid = payments.charged() + payments.declined();
            // Transactions that held only redelivered duplicates are not counted (they wrote no order).
            say(String.format("payments wrote %,d orders in %,d database transactions (%.1f per transaction; "
                    + "%,d redelivered duplicates skipped)", paid, payments.transactions(),
                    paid / (double) Math.max(1, payments.transactions()), payments.duplicatesSkipped()));

            CheckInput input = gather(driver, store, codec, db, topics, ordersTopic, paymentsTopic, queries);
            List<DemoChecks.CheckResult> checks = DemoChecks.check(input);
            say(String.format("read back every store and checked in %.1f s", (System.nanoTime() - checkStart) / 1e9));
            long events = input.eventStore().values().stream().mapToLong(List::size).sum()
                    + input.paymentEvents().size();
            Histogram h = latency.all();
            Histogram steady = latency.steady();
            Map<String, Long> counts = queries.statusCounts();
            return new DemoReport(backendName, database, config.partitions(), driver.placed.get(),
                    driver.failures.get(), flowSeconds, driver.placed.get() / flowSeconds, events, events / flowSeconds,
                    h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0,
                    counts.getOrDefault("SHIPPED", 0L), counts.getOrDefault("CANCELLED", 0L), dead.size(),
                    dlq.topic(), dlqExample, payments.redriven(), dlqLeft, redriveSeconds, payments.crashedEvents(),
                    payments.duplicatesSkipped(),
                    saga.repeats(), projection.skipped(), queries.ordersBySchemaVersion(), counts,
                    queries.topCustomers(5), checks, new DemoReport.SteadyState(warmupOrders(), latency.warmupSeconds(),
                            steady.getTotalCount(), steady.getValueAtPercentile(50) / 1000.0,
                            steady.getValueAtPercentile(99) / 1000.0, steady.getMaxValue() / 1000.0));
        } finally {
            long closeStart = System.nanoTime();
            String slowest = "";
            long slowestNanos = -1;
            for (int i = resources.size() - 1; i >= 0; i--) {
                long start = System.nanoTime();
                try {
                    resources.get(i).close();
                } catch (Exception e) {
                    say("closing " + resources.get(i).getClass().getSimpleName() + " failed: " + e.getMessage());
                }
                if (System.nanoTime() - start > slowestNanos) {
                    slowestNanos = System.nanoTime() - start;
                    slowest = resources.get(i).getClass().getSimpleName();
                }
            }
            // Closing the database is where H2 writes and compacts its file: worth seeing when a run is slow to end.
            say(String.format("closed the stores in %.1f s (the slowest, %s: %.1f s)",
                    (System.nanoTime() - closeStart) / 1e9, slowest, slowestNanos / 1e9));
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // The load: orders placed through the aggregate, open loop at --rate (or as fast as maxInFlight allows).

    private final class Driver implements Runnable {
        final Orders orders;
        final OrderEventCodec codec;
        final SchemaRegistry registry;
        final String ordersTopic;
        final ConcurrentLinkedQueue<String> placedIds = new ConcurrentLinkedQueue<>();
        final AtomicLong placed = new AtomicLong();
        final AtomicLong failures = new AtomicLong();
        final AtomicLong submitted = new AtomicLong();
        final AtomicReference<String> lastFailure = new AtomicReference<>("");
        final OrderLatency latency;
        volatile boolean finished;

        Driver(Orders orders, OrderEventCodec codec,
               SchemaRegistry registry, String ordersTopic, OrderLatency latency) {
            this.orders = orders;
            this.codec = codec;
            this.registry = registry;
            this.ordersTopic = ordersTopic;
            this.latency = latency;
        }

        boolean done() {
            return finished;
        }

        @Override
        public void run() {
            Semaphore inFlight = new Semaphore(config.maxInFlight());
            long start = System.nanoTime();
            latency.started(wallMicros());
            try (ExecutorService exec = Executors.newVirtualThreadPerTaskExecutor()) {
                for (long i = 0; i < config.orders(); i++) {
                    if (i == config.orders() / 2) {
                        switchToOrderPlacedV2();
                    }
                    if (config.rate() > 0) {
                        long due = start + (long) (i * 1e9 / config.rate());
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            TimeUnit.NANOSECONDS.sleep(wait);
                        }
                    }
                    inFlight.acquire();
                    // The order records when it was really placed (business data); under --rate its latency still
                    // counts from when it was due (OrderLatency), so a stall of the driver shows in the figures.
                    long placedAt = wallMicros();
                    latency.placed(i, placedAt);
                    Order.Place command = order(i, codec.orderPlacedWriter() == EventSchemas.ORDER_PLACED_V2, placedAt);
                    submitted.incrementAndGet();
                    exec.submit(() -> {
                        try {
                            if (orders.place(command) instanceof CommandResult.Accepted<Order.State>) {
                                placedIds.add(command.orderId());
                                placed.incrementAndGet();
                            } else {
                                failures.incrementAndGet();
                            }
                        } catch (RuntimeException e) {
                            failures.incrementAndGet();
                            lastFailure.set(command.orderId() + ": " + e.getMessage());
                        } finally {
                            inFlight.release();
                        }
                    });
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                finished = true;
            }
        }

        /** Registers v2 (the registry checks it against v1 first), then switches producers to it. */
        private void switchToOrderPlacedV2() {
            String subject = EventSchemas.subject(ordersTopic, EventSchemas.ORDER_PLACED_V2);
            SchemaText v2 = SchemaText.avro(EventSchemas.ORDER_PLACED_V2.toString());
            CompatibilityResult compatible = registry.testCompatibility(subject, v2);
            if (!compatible.compatible()) {
                throw new IllegalStateException("OrderPlaced v2 is not compatible with v1 under " + subject + ": "
                        + compatible.messages());
            }
            registry.register(subject, v2);
            codec.writeOrderPlacedV2();
            endLine();
            say("registered OrderPlaced v2 (adds salesChannel, default \"web\") and switched producers to it; "
                    + "consumers keep their reader schemas");
        }
    }

    /** Order {@code i}: deterministic, so two runs with the same settings place the same orders. */
    private Order.Place order(long i, boolean v2, long placedAtMicros) {
        SplittableRandom r = new SplittableRandom(i * 0x9E3779B97F4A7C15L);
        long amount = 500 + r.nextLong(99_500);   // 5.00 .. 999.99: about 5% above the 950.00 card limit
        boolean poison = config.poisonEvery() > 0 && i % config.poisonEvery() == config.poisonEvery() - 1;
        String currency = poison ? POISON_CURRENCY : CURRENCIES[r.nextInt(CURRENCIES.length)];
        String customer = zeroPadded('c', r.nextInt(config.customers()), 4);
        return new Order.Place(orderId(i), customer, amount, currency, placedAtMicros, v2 ? (i % 3 == 0 ? "app" : "web") : "web");
    }

    /**
     * Orders that make the warm-up: the first fifth of the run. Their latency is in the whole-run figures only (see
     * {@link DemoReport.SteadyState}); a fifth covers the JIT's first seconds at the rates the demo sustains.
     */
    long warmupOrders() {
        return config.orders() / 5;
    }

    private static long wallMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    static String orderId(long i) {
        return zeroPadded('o', i, 7);
    }

    /**
     * {@code prefix} and {@code n} in at least {@code digits} digits, as {@code String.format("o%07d", n)} writes it
     * but without parsing a format on the driver's thread for every order ({@code n} is never negative).
     */
    static String zeroPadded(char prefix, long n, int digits) {
        String number = Long.toString(n);
        StringBuilder b = new StringBuilder(1 + Math.max(digits, number.length())).append(prefix);
        for (int i = number.length(); i < digits; i++) {
            b.append('0');
        }
        return b.append(number).toString();
    }

    /** The number {@code i} of the order {@link #orderId}{@code (i)} names. */
    static long orderNumber(String orderId) {
        if (orderId.length() < 2 || orderId.charAt(0) != 'o') {
            throw new IllegalArgumentException("'" + orderId + "' is not a demo order id (o<number>, e.g. o0000042)");
        }
        return Long.parseLong(orderId, 1, orderId.length(), 10);
    }

    // ----------------------------------------------------------------------------------------------------------------

    private static void registerSchemas(SchemaRegistry registry, String ordersTopic, String paymentsTopic) {
        for (var s : List.of(EventSchemas.ORDER_PLACED_V1, EventSchemas.PAYMENT_CONFIRMED, EventSchemas.ORDER_SHIPPED,
                EventSchemas.ORDER_CANCELLED)) {
            registry.register(EventSchemas.subject(ordersTopic, s), SchemaText.avro(s.toString()));
        }
        for (var s : List.of(EventSchemas.PAYMENT_SUCCEEDED, EventSchemas.PAYMENT_FAILED)) {
            registry.register(EventSchemas.subject(paymentsTopic, s), SchemaText.avro(s.toString()));
        }
    }

    private String createTables(DataSource db, String ordersTopic) throws SQLException {
        try (Connection c = db.getConnection()) {
            String product = c.getMetaData().getDatabaseProductName();
            if (config.jdbcUrl().isPresent()) {
                dropDemoTables(c);
            }
            OrderForwarder.createTables(c, TABLE_PREFIX);
            PaymentService.createTables(c, TABLE_PREFIX);
            OrderSummaryProjection.createTables(c, TABLE_PREFIX);
            OrderSummaryProjection.initOffsets(c, TABLE_PREFIX, ordersTopic, config.partitions());
            OutboxSchema.create(db, OUTBOX_TABLES);
            return product + " " + c.getMetaData().getDatabaseProductVersion().split(" ")[0];
        }
    }

    /** An external database may hold an earlier run's tables; this run starts from empty ones. */
    private static void dropDemoTables(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            for (String t : List.of("forwarder_checkpoint", "payments", "order_summary",
                    "customer_revenue", "projection_offsets", "outbox", "outbox_key", "inbox")) {
                s.execute("DROP TABLE IF EXISTS " + TABLE_PREFIX + t);
            }
        }
    }

    /**
     * The runtime writes a rejected event to the dead-letter topic after the handler threw, and a redrive applies only
     * to entries written before it: wait until every rejected order has its entry (or the deadline passes).
     */
    private static List<DeadLetter> awaitDeadLetters(DeadLetters dlq, long rejected, long deadlineNanos)
            throws InterruptedException {
        if (rejected == 0) {
            return List.of();
        }
        while (true) {
            List<DeadLetter> dead = dlq.list().stream().filter(d -> d.status() == DeadLetter.Status.DEAD).toList();
            if (dead.size() >= rejected || System.nanoTime() > deadlineNanos) {
                return dead;
            }
            Thread.sleep(50);
        }
    }

    private boolean failed(OrderForwarder forwarder, PaymentService payments, PaymentSaga saga,
                           OrderSummaryProjection projection) {
        return forwarder.failure().isPresent() || payments.processor().state() == ProcessorState.FAILED
                || saga.processor().state() == ProcessorState.FAILED
                || projection.processor().state() == ProcessorState.FAILED;
    }

    private void reportFailures(OrderForwarder forwarder, PaymentService payments, PaymentSaga saga,
                                OrderSummaryProjection projection) {
        forwarder.failure().ifPresent(e -> say("the order forwarder stopped: " + e));
        payments.processor().failure().ifPresent(f -> say("the payment processor stopped: " + f));
        saga.processor().failure().ifPresent(f -> say("the payment saga stopped: " + f));
        projection.processor().failure().ifPresent(f -> say("the order-summary projection stopped: " + f));
    }

    private CheckInput gather(Driver driver, EventStore store, OrderEventCodec codec, DataSource db, EventLog topics,
                              String ordersTopic, String paymentsTopic, OrderSummaryQueries queries) throws SQLException {
        // The event store, in global order, one page at a time.
        Map<String, List<CheckInput.StoredEvent>> streams = new HashMap<>();
        long position = EventStore.BEGINNING;
        while (true) {
            AllSlice slice = store.readAll(position, 2000, EventFilter.category("order"));
            for (RecordedEvent e : slice.events()) {
                String orderId = e.stream().substring("order-".length());
                String customer = "";
                long amount = 0;
                if (e.type().equals(EventSchemas.ORDER_PLACED) && codec.decode(e.type(), e.data()) instanceof Order.Placed p) {
                    customer = p.customerId();
                    amount = p.amountCents();
                }
                streams.computeIfAbsent(orderId, k -> new ArrayList<>())
                        .add(new CheckInput.StoredEvent(e.eventId(), e.version(), e.type(), customer, amount));
            }
            position = slice.nextPosition();
            if (slice.events().isEmpty() || slice.endOfAll()) {
                break;
            }
        }
        for (List<CheckInput.StoredEvent> s : streams.values()) {
            s.sort(Comparator.comparingLong(CheckInput.StoredEvent::version));
        }
        // The payments table.
        Map<String, List<String>> charges = new HashMap<>();
        Map<UUID, String> paymentEvents = new HashMap<>();
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT order_id, payment_id, status, outbox_event_id FROM " + TABLE_PREFIX
                     + "payments")) {
            while (rs.next()) {
                if ("CHARGED".equals(rs.getString(3))) {
                    charges.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                }
                paymentEvents.put(UUID.fromString(rs.getString(4)), rs.getString(1));
            }
        }
        // Both topics, read back from the start.
        Map<String, List<CheckInput.TopicEvent>> onOrders = new HashMap<>();
        TopicReader.readAll(topics, ordersTopic, r -> onOrders.computeIfAbsent(r.keyString(), k -> new ArrayList<>())
                .add(new CheckInput.TopicEvent(r.eventId(), r.version(), r.partition(), r.offset())));
        java.util.Set<UUID> published = new java.util.HashSet<>();
        TopicReader.readAll(topics, paymentsTopic, r -> published.add(r.eventId()));
        return new CheckInput(new ArrayList<>(driver.placedIds), streams, charges, onOrders, paymentEvents, published,
                queries.statusByOrder(), queries.revenueByCustomer());
    }

    // ----------------------------------------------------------------------------------------------------------------

    private void progressLine(Driver driver, OrderForwarder forwarder, PaymentService payments, PaymentSaga saga,
                              long relayed, double eventsPerSecond) {
        long placed = driver.placed.get();
        long paid = payments.charged() + payments.declined();
        String line = String.format("placed %,d  paid %,d  confirmed %,d  cancelled %,d  dead-lettered %,d  in flight %,d  "
                        + "forwarded %,d  lag: payments %,d relay %,d saga %,d  %,.0f events/s", placed, paid, saga.confirmed(),
                saga.cancelled(), payments.rejected(), placed - saga.confirmed() - saga.cancelled() - payments.rejected(),
                forwarder.forwarded(), Math.max(0, placed - paid - payments.rejected()), Math.max(0, paid - relayed),
                Math.max(0, relayed - saga.confirmed() - saga.cancelled() - saga.repeats()), eventsPerSecond);
        if (liveLine) {
            progress.print("\r" + line + "   ");
        } else {
            progress.println(line);
        }
        progress.flush();
    }

    private void endLine() {
        if (liveLine) {
            progress.println();
        }
    }

    private void say(String message) {
        progress.println("demo: " + message);
        progress.flush();
    }

    /** Marks a folder as the demo's own, so that a run never wipes a folder it did not create. */
    static final String MARKER = ".tributary-demo";

    private static void wipe(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        boolean empty;
        try (Stream<Path> entries = Files.list(dir)) {
            empty = entries.findAny().isEmpty();
        }
        if (!empty && !Files.exists(dir.resolve(MARKER))) {
            throw new io.tributary.core.InvalidRequestException(io.tributary.core.ErrorCode.INVALID_ARGUMENT,
                    "The demo's data folder " + dir.toAbsolutePath() + " is not empty and was not made by the demo (no "
                    + MARKER + " file), so the demo will not wipe it; pass --data-dir with a new or empty folder");
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot wipe the demo's data folder " + dir, e);
        }
    }
}
