package io.tributary.examples.payments;

import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.outbox.Inbox;
import io.tributary.outbox.Outbox;
import io.tributary.outbox.OutboxEvent;
import io.tributary.outbox.OutboxTables;
import io.tributary.processing.BatchOutcome;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.DeadLetters;
import io.tributary.processing.Processor;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.RetryPolicy;
import io.tributary.schema.AvroDeserializer;
import io.tributary.schema.AvroSerdeConfig;
import io.tributary.schema.AvroSerializer;
import io.tributary.schema.SchemaRegistryClient;
import io.tributary.schema.spi.SubjectNameStrategy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The Payments service: charges each placed order exactly once in effect, although the log delivers at least once.
 *
 * <p>It runs a {@link Processor} on the {@code orders} topic with a {@link io.tributary.processing.PartialBatchHandler}:
 * only {@code OrderPlaced} events reach it (the config's event filter drops the others before dispatch), in
 * micro-batches of one partition. Each order of a batch is decided first, outside any transaction; the decided ones
 * are written in <b>one database transaction per batch</b>: the {@link Inbox} rows (a redelivered event is skipped),
 * then the payment rows and the {@code PaymentSucceeded}/{@code PaymentFailed} events through the {@link Outbox}. The
 * commit makes all of it durable at once, and the offsets are committed to the log only afterwards. A crash between
 * the two redelivers the events, and the inbox turns each redelivery into a no-op.
 *
 * <p><b>Poison events</b> (see {@link PaymentDecision.Unprocessable}) are left out of the batch's transaction and
 * named in its {@link BatchOutcome}, so the runtime hands each again in a call of its own; there the handler throws
 * {@link UnprocessableOrderException}, which the retry policy does not retry, so the runtime writes that one event
 * with the error to the dead-letter topic {@code payments.dlq} and parks the order's later events behind it (sequenced
 * per key). An order that fails in any other way while it is decided (no event id header, rules that throw) is
 * named the same way, so it never fails its batch. A batch whose shared transaction fails (rolled back) is thrown
 * back to the runtime once, which retries it whole after its backoff (a pool or lock timeout fails every order alike);
 * if it fails again, or at once when the database rejected an order's data (SQLSTATE class 22 or 23), it names every
 * event, so an order that cannot be written fails, is retried and is dead-lettered alone. After the fix is deployed
 * ({@link #useRules}),
 * {@link #deadLetters()}{@code .redrive(all)} sends each entry through this same handler again.
 *
 * <p><b>Order:</b> one order's events are handled in log order, never two at once; a partition's batches run one at a
 * time, partitions in parallel. <b>Thread-safety:</b> all methods are safe from any thread.
 * <b>Durability:</b> payment rows, inbox rows and outbox events commit together; dead-letter entries are acknowledged
 * by the log before the partition commits past them.
 */
public final class PaymentService implements AutoCloseable {

    /** The inbox consumer name: one inbox table can serve many consumers. */
    public static final String INBOX_CONSUMER = "payments";

    private final EventLog log;
    private final ProcessorConfig config;
    private final DataSource db;
    private final String[] insertPaymentsSql;
    private final String paymentsTopic;
    private final Inbox inbox;
    private final Outbox outbox;
    private final AvroSerializer serializer;
    private final AvroDeserializer deserializer;
    private volatile PaymentRules rules;
    private volatile boolean crashing;
    private volatile Processor processor;

    private final AtomicLong charged = new AtomicLong();
    private final AtomicLong declined = new AtomicLong();
    /** Poison events the handler rejected, by event id: a redelivered rejection is counted once. */
    private final Set<UUID> rejected = ConcurrentHashMap.newKeySet();
    /** Rejected events that a later call (the redrive) handled. */
    private final Set<UUID> redriven = ConcurrentHashMap.newKeySet();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong crashedEvents = new AtomicLong();
    private final AtomicLong transactions = new AtomicLong();
    /** Calls of {@code OrderPlaced} in the handler now, and how many of them hang in the simulated crash. */
    private final AtomicInteger inCalls = new AtomicInteger();
    private final AtomicInteger hungCalls = new AtomicInteger();

    private PaymentService(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                           OutboxTables outboxTables, String paymentsTopic, SchemaRegistryClient registry,
                           PaymentRules rules) {
        this.log = log;
        this.config = config;
        this.db = db;
        this.insertPaymentsSql = insertPaymentsSql(tablePrefix + "payments");
        this.paymentsTopic = paymentsTopic;
        this.inbox = new Inbox(outboxTables);
        this.outbox = new Outbox(outboxTables);
        this.serializer = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false)
                .withSubjectStrategy(SubjectNameStrategy.TOPIC_RECORD));
        this.deserializer = new AvroDeserializer(registry);
        this.rules = rules;
        this.processor = Processor.startPartialBatched(log, config, this::handle);
    }

    /** Starts the service as consumer group {@code config.name()} on {@code config.topics()}. */
    public static PaymentService start(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                       OutboxTables outboxTables, String paymentsTopic, SchemaRegistryClient registry,
                                       PaymentRules rules) {
        return new PaymentService(log, config, db, tablePrefix, outboxTables, paymentsTopic, registry, rules);
    }

    /**
     * The service's default processor settings. Only {@code OrderPlaced} reaches the handler: the event filter drops
     * the other order events on the poll loop, before any task or thread (two in three events of the topic). Partial
     * micro-batches of up to 500 orders, one batch in flight per partition, each order waiting at most
     * {@link #BATCH_WAIT} (5 ms) for others to join its batch: a batch goes once it is full or its oldest order waited
     * 5 ms (under a backlog, as soon as the previous one of its partition finished), so it holds a few orders when
     * payments keeps up and hundreds under a backlog, and each costs one transaction and one commit. Poison orders are
     * not retried and go to the dead-letter topic {@code payments.dlq} in sequenced mode, each alone. A stop lets
     * in-flight calls finish for at most 500 ms (the simulated crash hangs its calls until that stop interrupts them;
     * {@link #crash} waits for every call in flight to reach its hang first, so the wait is dead time: keep it short).
     * Offsets commit once a second (the runtime's default): on H2 each offset commit is preceded by a {@code
     * CHECKPOINT}, a write of every changed page, and at 200 ms the two services' checkpoints made H2 serialize its hot
     * pages several times as often for nothing an order waits for; a crash redelivers up to a second of events, which
     * the inbox skips.
     */
    public static ProcessorConfig defaultConfig(String ordersTopic) {
        return ProcessorConfig.of("payments", ordersTopic)
                .withEventFilter(PaymentService::isOrderPlaced)
                .withConcurrencyPerPartition(1).withMaxBufferedPerPartition(4000)
                .withBatching(500, 1_048_576L, BATCH_WAIT)
                .withCommitInterval(Duration.ofSeconds(1))
                .withShutdownTimeout(Duration.ofMillis(500))
                .withRetry(RetryPolicy.defaults().withNonRetryable(RetryPolicy.DEFAULT_NON_RETRYABLE
                        .or(t -> t instanceof UnprocessableOrderException)))
                .withDeadLetter(DeadLetterPolicy.sequenced());
    }

    /**
     * How long an {@code OrderPlaced} waits for others to share its transaction when payments keeps up. With no wait,
     * a batch held what arrived while the previous one ran: 1.4-2.0 orders per transaction in single runs at 300
     * orders/s on a loaded machine, so most orders paid for the batch's statements, its commit and the runtime's
     * per-call work nearly alone. At 5,000 orders/s over four partitions 5 ms would gather about six orders per
     * transaction (1,250 orders/s per partition times 5 ms; not measured), for each order at most 5 ms of waiting
     * before its batch starts on its way to confirmed (issue 8's p99 target is 100 ms). Under a backlog batches fill
     * without waiting, as before.
     */
    static final Duration BATCH_WAIT = Duration.ofMillis(5);

    /** Whether an order event is an {@code OrderPlaced}, by its type header alone (the filter runs per event). */
    static boolean isOrderPlaced(LogRecord event) {
        return EventSchemas.ORDER_PLACED.equals(event.headers().eventType().orElse(""));
    }

    /**
     * The handler cannot process this order with the rules it has (a poison event): retrying will not help, a code or
     * data fix will. Not retried; the runtime dead-letters the event with this message.
     */
    public static final class UnprocessableOrderException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnprocessableOrderException(String message) {
            super(message);
        }
    }

    /** Creates the payments table if missing. */
    public static void createTables(Connection c, String tablePrefix) throws SQLException {
        try (Statement s = c.createStatement()) {
            // No unique constraint on order_id, on purpose: exactly-once must come from the inbox, and the demo's
            // check counts the rows per order to prove it.
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "payments (payment_id VARCHAR(36) PRIMARY KEY, "
                    + "order_id VARCHAR(64) NOT NULL, customer_id VARCHAR(64) NOT NULL, amount_cents BIGINT NOT NULL, "
                    + "currency VARCHAR(3) NOT NULL, status VARCHAR(16) NOT NULL, order_event_id VARCHAR(36) NOT NULL, "
                    + "outbox_event_id VARCHAR(36) NOT NULL)");
            // No index on order_id either: nothing looks payments up by order (the checks read the whole table once),
            // and each index is one more B-tree write per order in the payment transaction.
        }
    }

    /**
     * One micro-batch of {@code OrderPlaced} events of one partition (the config's filter dropped the other order
     * events before dispatch): every order is decided first, outside any transaction; the decided ones are written in
     * one transaction with one commit. Poison orders are left to the runtime, which hands each again in a call of its
     * own, where it throws (so the runtime dead-letters it alone); so is an order that fails in any other way while it
     * is decided. If the shared transaction fails, it was rolled back: on the batch's first attempt the call throws, so
     * the runtime retries the batch whole; on a later attempt (or at once for a data error) every order of the batch
     * goes again alone, so an order that cannot be written fails only itself. The runtime says which attempt a call
     * is, so nothing about failed batches is remembered here.
     */
    private BatchOutcome handle(List<LogRecord> events, int attempt) throws Exception {
        inCalls.incrementAndGet();
        try {
            boolean alone = events.size() == 1;
            List<DecidedOrder> decided = new ArrayList<>(events.size());
            List<LogRecord> again = List.of();
            // Orders with an event handed again: a later event of such an order in this batch (a republished copy)
            // must not be applied ahead of it; the runtime hands it again after it.
            Set<String> heldBack = Set.of();
            for (LogRecord e : events) {
                if (!isOrderPlaced(e)) {
                    continue;   // not for payments: the filter keeps these out, a redriven entry could still be one
                }
                String orderId = orderIdOf(e);
                if (heldBack.contains(orderId)) {
                    again = add(again, e);
                    continue;
                }
                try {
                    decided.add(decide(e));
                } catch (RuntimeException failed) {
                    // Whatever fails one order (poison, no event id, rules that threw) fails only that order: in a
                    // batch it goes again in a call of its own, where this same exception is that call's failure.
                    if (alone) {
                        if (failed instanceof UnprocessableOrderException) {
                            // thrown from a call of its own: the runtime dead-letters it
                            e.headers().eventId().ifPresent(rejected::add);
                        }
                        throw failed;
                    }
                    again = add(again, e);
                    heldBack = heldBack.isEmpty() ? new java.util.HashSet<>() : heldBack;
                    heldBack.add(orderId);
                }
            }
            boolean[] applied = new boolean[0];
            if (!decided.isEmpty()) {
                try {
                    applied = transaction(decided);
                } catch (Exception groupFailed) {
                    if (alone || Thread.currentThread().isInterrupted()) {
                        throw groupFailed;   // a stop interrupted it: the events stay uncommitted, as after a crash
                    }
                    if (attempt == 1 && !isDataError(groupFailed) && config.retry().shouldRetry(groupFailed, attempt)) {
                        // Most likely the database, not an order (a pool or lock timeout): the runtime retries the
                        // batch as one transaction after its backoff, instead of hundreds of transactions in a row.
                        throw groupFailed;
                    }
                    // An order's data cannot be written, or the batch failed before: every order goes again alone,
                    // so the one at fault fails (and is dead-lettered) by itself.
                    return BatchOutcome.handAgainAlone(events);
                }
                count(decided, applied);
            }
            if (crashing) {
                // The simulated crash: the database commit happened, the offset commit will not. The call blocks until
                // the processor's stop interrupts it; an interrupted call is neither committed nor dead-lettered, which
                // is what a process dying at this point looks like to the log: the events are delivered again.
                for (boolean a : applied) {
                    if (a) {
                        crashedEvents.incrementAndGet();   // inbox duplicates were committed before, not by this call
                    }
                }
                hungCalls.incrementAndGet();
                try {
                    new CountDownLatch(1).await();
                } finally {
                    hungCalls.decrementAndGet();
                }
            }
            return BatchOutcome.handAgainAlone(again);
        } finally {
            inCalls.decrementAndGet();
        }
    }

    /** Decides one order (outside any transaction); throws what makes it fail alone. */
    private DecidedOrder decide(LogRecord e) {
        UUID eventId = e.headers().eventId().orElseThrow(() -> new UnprocessableOrderException("Event at "
                + e.topic() + "/" + e.partition() + "@" + e.offset() + " has no event id header; the inbox needs it "
                + "to apply the event once. Publish order events through the forwarder, then redrive it from "
                + "payments.dlq"));
        PlacedOrder order = decode(eventId, e.value());
        PaymentDecision decision = rules.decide(order.orderId(), order.amountCents(), order.currency());
        if (decision instanceof PaymentDecision.Unprocessable un) {
            throw new UnprocessableOrderException(un.error());
        }
        return new DecidedOrder(eventId, order, decision);
    }

    /**
     * A failure that one order's values cause (SQLSTATE class 22 data exception, e.g. a value too long, or 23
     * integrity constraint violation): the same batch would fail the same way again, so it is not retried whole.
     */
    private static boolean isDataError(Throwable failure) {
        for (@org.jspecify.annotations.Nullable Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLDataException
                    || t instanceof java.sql.SQLIntegrityConstraintViolationException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("22") || sql.getSQLState().startsWith("23"))) {
                return true;
            }
        }
        return false;
    }

    private static List<LogRecord> add(List<LogRecord> list, LogRecord e) {
        List<LogRecord> grown = list.isEmpty() ? new ArrayList<>() : list;
        grown.add(e);
        return grown;
    }

    /** The order id of an order event: its record key (the forwarder keys every order event by order id). */
    private static String orderIdOf(LogRecord e) {
        byte[] key = e.key();
        return key == null ? "" : new String(key, StandardCharsets.UTF_8);
    }

    private void count(List<DecidedOrder> decided, boolean[] applied) {
        for (int i = 0; i < decided.size(); i++) {
            DecidedOrder d = decided.get(i);
            if (!applied[i]) {
                duplicates.incrementAndGet();
                continue;
            }
            switch (d.decision()) {
                case PaymentDecision.Charge ch -> charged.incrementAndGet();
                case PaymentDecision.Decline de -> declined.incrementAndGet();
                case PaymentDecision.Unprocessable un -> throw new IllegalStateException("decided above");
            }
            if (rejected.contains(d.eventId())) {
                redriven.add(d.eventId());
            }
        }
    }

    /** An order decided by the rules, waiting to be written with its inbox row. */
    private record DecidedOrder(UUID eventId, PlacedOrder order, PaymentDecision decision) {
    }

    /**
     * One database transaction for {@code orders}: the inbox rows of all of them first, then, for those the inbox
     * applied, their outbox events and payment rows. Each statement is prepared once for the group and the payment
     * rows go in multi-row inserts of up to 64: a group costs a few statements, not three or four per order.
     */
    private boolean[] transaction(List<DecidedOrder> orders) throws Exception {
        boolean[] applied;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                applied = inbox.markProcessedAll(c, INBOX_CONSUMER, orders.stream().map(DecidedOrder::eventId).toList());
                List<Payment> payments = new ArrayList<>(orders.size());
                List<OutboxEvent> events = new ArrayList<>(orders.size());
                for (int i = 0; i < orders.size(); i++) {
                    if (applied[i]) {
                        Payment p = payment(orders.get(i));
                        payments.add(p);
                        events.add(p.event());
                    }
                }
                List<UUID> outboxIds = outbox.addAll(c, events);
                insertPayments(c, payments, outboxIds);
                c.commit();
            } catch (Exception ex) {
                c.rollback();
                throw ex;
            }
        }
        // Only transactions that wrote an order: one whose orders were all inbox duplicates (a redelivery after a
        // crash) wrote nothing but its inbox check, and counting it would lower the orders-per-transaction figure.
        for (boolean a : applied) {
            if (a) {
                transactions.incrementAndGet();
                break;
            }
        }
        return applied;
    }

    /** A decided order's outcome: its payment row's values and the event the outbox publishes. */
    private record Payment(String paymentId, DecidedOrder order, long amountCents, String status, OutboxEvent event) {
    }

    /** The fields of an {@code OrderPlaced} the payment handler reads, decoded with its reader schema (v1). */
    private record PlacedOrder(String orderId, String customerId, long amountCents, String currency) {
    }

    private PlacedOrder decode(UUID eventId, byte @org.jspecify.annotations.Nullable [] payload) {
        try {
            GenericRecord order = (GenericRecord) Objects.requireNonNull(
                    deserializer.deserialize(payload, EventSchemas.ORDER_PLACED_V1));   // our reader: still v1
            return new PlacedOrder(String.valueOf(order.get("orderId")), String.valueOf(order.get("customerId")),
                    (Long) order.get("amountCents"), String.valueOf(order.get("currency")));
        } catch (RuntimeException undecodable) {
            throw new UnprocessableOrderException("event " + eventId + " is not a readable OrderPlaced ("
                    + undecodable + "); fix the producer or the reader schema, then redrive it from payments.dlq");
        }
    }

    /** The outcome of a decided order: a charge or a decline, as a payment row and a payments event. */
    private Payment payment(DecidedOrder d) {
        String paymentId = UuidV7.next().toString();
        PlacedOrder order = d.order();
        return switch (d.decision()) {
            case PaymentDecision.Charge ch -> new Payment(paymentId, d, ch.amountCents(), "CHARGED",
                    event(order.orderId(), d.eventId(), EventSchemas.PAYMENT_SUCCEEDED_TYPE,
                            EventSchemas.PAYMENT_SUCCEEDED, paymentId, "amountCents", ch.amountCents()));
            case PaymentDecision.Decline de -> new Payment(paymentId, d, 0, "DECLINED",
                    event(order.orderId(), d.eventId(), EventSchemas.PAYMENT_FAILED_TYPE,
                            EventSchemas.PAYMENT_FAILED, paymentId, "reason", de.reason()));
            case PaymentDecision.Unprocessable un -> throw new IllegalArgumentException(
                    "payment() takes decided orders only; " + un.error());
        };
    }

    private OutboxEvent event(String orderId, UUID causation, String type, Schema schema, String paymentId,
                              String field, Object value) {
        GenericRecord g = new GenericData.Record(schema);
        g.put("orderId", orderId);
        g.put("paymentId", paymentId);
        g.put(field, value);
        byte[] bytes = serializer.serialize(paymentsTopic, g);
        return OutboxEvent.of(paymentsTopic, orderId.getBytes(StandardCharsets.UTF_8), type, bytes)
                .withHeaders(Headers.empty().with(StandardHeaders.CAUSATION_ID, causation.toString()));
    }

    /** Rows per payment insert statement at most; pieces are powers of two, so there are 7 statement texts. */
    private static final int MAX_ROWS_PER_INSERT = 64;

    /**
     * The payment rows of a group, in multi-row inserts of up to 64 rows; {@code outboxIds.get(i)} is
     * {@code payments.get(i)}'s event. A group of n rows takes one statement per set bit of n below 64 (and one per
     * full 64), each of a power-of-two size: a database runs a JDBC batch of single-row inserts as one statement per
     * row (H2 parses nothing again but still executes, checks and locks per statement), and a few texts keep every
     * size parsed in the session's statement cache.
     */
    private void insertPayments(Connection c, List<Payment> payments, List<UUID> outboxIds) throws SQLException {
        int done = 0;
        while (done < payments.size()) {
            int rows = Integer.highestOneBit(Math.min(MAX_ROWS_PER_INSERT, payments.size() - done));
            try (PreparedStatement ps = c.prepareStatement(insertPaymentsSql[Integer.numberOfTrailingZeros(rows)])) {
                int p = 1;
                for (int i = done; i < done + rows; i++) {
                    Payment payment = payments.get(i);
                    PlacedOrder order = payment.order().order();
                    ps.setString(p++, payment.paymentId());
                    ps.setString(p++, order.orderId());
                    ps.setString(p++, order.customerId());
                    ps.setLong(p++, payment.amountCents());
                    ps.setString(p++, order.currency());
                    ps.setString(p++, payment.status());
                    ps.setString(p++, payment.order().eventId().toString());
                    ps.setString(p++, outboxIds.get(i).toString());
                }
                ps.executeUpdate();
            }
            done += rows;
        }
    }

    /** {@code insertPaymentsSql(table)[b]} inserts {@code 2^b} payment rows. */
    private static String[] insertPaymentsSql(String table) {
        String[] sql = new String[Integer.numberOfTrailingZeros(MAX_ROWS_PER_INSERT) + 1];
        for (int b = 0; b < sql.length; b++) {
            sql[b] = "INSERT INTO " + table + " (payment_id, order_id, customer_id, amount_cents, currency, status, "
                    + "order_event_id, outbox_event_id) VALUES "
                    + String.join(", ", java.util.Collections.nCopies(1 << b, "(?, ?, ?, ?, ?, ?, ?, ?)"));
        }
        return sql;
    }

    /**
     * Deploys new rules (the "fix"); calls started from now on use them, including the redrive of dead-lettered
     * orders ({@code deadLetters().redrive(DeadLetterSelection.all())}).
     */
    public void useRules(PaymentRules newRules) {
        this.rules = Objects.requireNonNull(newRules, "newRules");
    }

    /** The payment processor's dead-letter queue, to list, inspect and redrive its entries (from any thread). */
    public DeadLetters deadLetters() {
        return DeadLetters.of(log, config);
    }

    /**
     * Kills the processor the hard way, as a crash would: calls that finish from now on commit their database
     * transaction and then hang. Once one has (or after 1 s if none is in flight), and every call in flight has reached
     * that point (or after 2 s), the processor stops taking new events and, after its shutdown timeout, interrupts
     * the hung calls, so their offsets are never committed. Their events will be delivered again to the next instance
     * ({@link #restart}); the inbox must absorb every one of them.
     */
    public void crash() {
        long before = crashedEvents.get();
        crashing = true;
        // Give a call in flight up to 1 s to reach its commit, so that the crash hits one after its commit, the case
        // the inbox exists for (an idle processor is stopped without); then wait until no call is half-way through
        // its transaction, so the stop interrupts only hung calls and can use a short shutdown timeout.
        long start = System.nanoTime();
        while (true) {
            long waited = System.nanoTime() - start;
            boolean noneHit = crashedEvents.get() == before;
            boolean midway = inCalls.get() > hungCalls.get();
            if (waited > Duration.ofSeconds(2).toNanos() || (!noneHit && !midway)
                    || (noneHit && waited > Duration.ofSeconds(1).toNanos())) {
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        processor.close();
    }

    /** Starts a new processor instance in the same consumer group, as a restarted process would. */
    public void restart() {
        crashing = false;
        processor = Processor.startPartialBatched(log, config, this::handle);
    }

    /** Orders charged so far. */
    public long charged() {
        return charged.get();
    }

    /** Orders declined so far. */
    public long declined() {
        return declined.get();
    }

    /** Distinct poison orders the handler rejected, which the runtime dead-lettered (including those redriven). */
    public long rejected() {
        return rejected.size();
    }

    /** Rejected orders that a later call, the redrive after the fix, charged or declined. */
    public long redriven() {
        return redriven.size();
    }

    /** Redelivered events the inbox recognised and skipped. */
    public long duplicatesSkipped() {
        return duplicates.get();
    }

    /**
     * Orders whose call committed them to the database and then "died" with the processor, before their offsets were
     * committed (a call holds a batch of orders).
     */
    public long crashedEvents() {
        return crashedEvents.get();
    }

    /**
     * Database transactions committed that wrote at least one order: one per batch, fewer than the orders written.
     * A transaction whose orders were all inbox duplicates (counted in {@link #duplicatesSkipped}) is not counted.
     */
    public long transactions() {
        return transactions.get();
    }

    /** The processor instance running now. */
    public Processor processor() {
        return processor;
    }

    @Override
    public void close() {
        processor.close();
    }
}
