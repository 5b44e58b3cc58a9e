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
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.sql.DataSource;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The Payments service: charges each placed order exactly once in effect, although the log delivers at least once.
 *
 * <p>It runs a per-event {@link Processor} on the {@code orders} topic. Each {@code OrderPlaced} is decided first,
 * outside any transaction; a decided order is written in a database transaction: the {@link Inbox} row (a redelivered
 * event is skipped), then the payment row and the {@code PaymentSucceeded}/{@code PaymentFailed} event through the
 * {@link Outbox}. The commit makes all of it durable at once, and the offset is committed to the log only afterwards.
 * <b>Group commit:</b> the orders of one partition decided while a transaction of that partition is being written
 * share the next transaction (one commit for many orders, not one per order); a shared transaction that fails is
 * rolled back and its orders are written again one by one, so an order that cannot be written fails only its own call.
 * A crash between the two redelivers the event, and the inbox turns the redelivery into a no-op.
 *
 * <p><b>Poison events</b> (see {@link PaymentDecision.Unprocessable}) make the handler throw
 * {@link UnprocessableOrderException}, which the retry policy does not retry, so the processing runtime writes the
 * event with the error to the dead-letter topic {@code payments.dlq} and parks the order's later events behind it
 * (sequenced per key). After the fix is deployed ({@link #useRules}), {@link #deadLetters()}{@code .redrive(all)}
 * sends each entry through this same handler again. Per-event rather than micro-batched handling, because a failed
 * batch is dead-lettered as a whole: with batches, one poison order would send up to 499 good ones to the dead-letter
 * queue with its error.
 *
 * <p><b>Order:</b> one order's events are handled one at a time, in log order; different orders run concurrently (up
 * to {@code concurrencyPerPartition} per partition). <b>Thread-safety:</b> all methods are safe from any thread.
 * <b>Durability:</b> payment rows, inbox rows and outbox events commit together; dead-letter entries are acknowledged
 * by the log before the partition commits past them.
 */
public final class PaymentService implements AutoCloseable {

    /** The inbox consumer name: one inbox table can serve many consumers. */
    public static final String INBOX_CONSUMER = "payments";

    private final EventLog log;
    private final ProcessorConfig config;
    private final DataSource db;
    private final String paymentsTable;
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
    private final GroupCommit commits = new GroupCommit();

    private PaymentService(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                           OutboxTables outboxTables, String paymentsTopic, SchemaRegistryClient registry,
                           PaymentRules rules) {
        this.log = log;
        this.config = config;
        this.db = db;
        this.paymentsTable = tablePrefix + "payments";
        this.paymentsTopic = paymentsTopic;
        this.inbox = new Inbox(outboxTables);
        this.outbox = new Outbox(outboxTables);
        this.serializer = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false)
                .withSubjectStrategy(SubjectNameStrategy.TOPIC_RECORD));
        this.deserializer = new AvroDeserializer(registry);
        this.rules = rules;
        this.processor = Processor.start(log, config, this::handle);
    }

    /** Starts the service as consumer group {@code config.name()} on {@code config.topics()}. */
    public static PaymentService start(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                       OutboxTables outboxTables, String paymentsTopic, SchemaRegistryClient registry,
                                       PaymentRules rules) {
        return new PaymentService(log, config, db, tablePrefix, outboxTables, paymentsTopic, registry, rules);
    }

    /**
     * The service's default processor settings: per-event handling with 16 orders in flight per partition (one at a
     * time per order; more would only queue for the 24 pooled connections the demo's services share), poison orders
     * are not retried and go to the dead-letter topic {@code payments.dlq} in sequenced mode, and a stop lets
     * in-flight calls finish for at most 500 ms (the simulated crash hangs its calls until that stop interrupts them;
     * {@link #crash} waits for every call in flight to reach its hang first, so the wait is dead time: keep it short).
     */
    public static ProcessorConfig defaultConfig(String ordersTopic) {
        return ProcessorConfig.of("payments", ordersTopic)
                .withConcurrencyPerPartition(16).withMaxBufferedPerPartition(4000)
                .withCommitInterval(Duration.ofMillis(200))
                .withShutdownTimeout(Duration.ofMillis(500))
                .withRetry(RetryPolicy.defaults().withNonRetryable(RetryPolicy.DEFAULT_NON_RETRYABLE
                        .or(t -> t instanceof UnprocessableOrderException)))
                .withDeadLetter(DeadLetterPolicy.sequenced());
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

    private void handle(LogRecord e) throws Exception {
        if (!EventSchemas.ORDER_PLACED.equals(e.headers().eventType().orElse(""))) {
            return;   // the orders topic carries every order event; payments needs only OrderPlaced
        }
        inCalls.incrementAndGet();
        try {
            UUID eventId = e.headers().eventId().orElseThrow(() -> new IllegalStateException("Event at "
                    + e.topic() + "/" + e.partition() + "@" + e.offset() + " has no event id header; the "
                    + "inbox needs it to apply the event once. Publish order events through the forwarder"));
            // Decide before opening a transaction: a poison order fails here, having written nothing.
            PlacedOrder order = decode(eventId, e.value());
            PaymentDecision decision = rules.decide(order.orderId(), order.amountCents(), order.currency());
            if (decision instanceof PaymentDecision.Unprocessable un) {
                rejected.add(eventId);
                throw new UnprocessableOrderException(un.error());
            }
            boolean applied = commits.lane(e.partition()).write(new DecidedOrder(eventId, order, decision));
            if (!applied) {
                duplicates.incrementAndGet();
            } else {
                switch (decision) {
                    case PaymentDecision.Charge ch -> charged.incrementAndGet();
                    case PaymentDecision.Decline de -> declined.incrementAndGet();
                    case PaymentDecision.Unprocessable un -> throw new IllegalStateException("decided above");
                }
                if (rejected.contains(eventId)) {
                    redriven.add(eventId);
                }
            }
            if (crashing) {
                // The simulated crash: the database commit happened, the offset commit will not. The call blocks until
                // the processor's stop interrupts it; an interrupted call is neither committed nor dead-lettered, which
                // is what a process dying at this point looks like to the log: the event is delivered again.
                crashedEvents.incrementAndGet();
                hungCalls.incrementAndGet();
                try {
                    new CountDownLatch(1).await();
                } finally {
                    hungCalls.decrementAndGet();
                }
            }
        } finally {
            inCalls.decrementAndGet();
        }
    }

    /** An order decided by the rules, waiting to be written with its inbox row. */
    private record DecidedOrder(UUID eventId, PlacedOrder order, PaymentDecision decision) {
    }

    /**
     * Writes decided orders in shared transactions: the calls of one partition that arrive while a transaction of
     * theirs is being written wait for it, and the next of them to get the lane writes all of them in one transaction
     * (inbox rows, payment rows, outbox events) with one commit. A call returns only once its own order committed, so
     * the offset is still committed only after the database. A failed shared transaction is rolled back and each of
     * its orders is written again alone, so one order that cannot be written fails only its own call.
     * Thread-safe; one lane per partition (mod {@value #LANES}), so partitions commit in parallel.
     */
    private final class GroupCommit {
        private static final int LANES = 8;
        private final Lane[] lanes = new Lane[LANES];

        GroupCommit() {
            for (int i = 0; i < LANES; i++) {
                lanes[i] = new Lane();
            }
        }

        /** The lane of {@code partition}'s orders. */
        Lane lane(int partition) {
            return lanes[Math.floorMod(partition, LANES)];
        }
    }

    /** One partition's (or a few partitions') shared transactions: {@link #write} writes an order in the next one. */
    private final class Lane {
        private final ReentrantLock lock = new ReentrantLock();
        private final ConcurrentLinkedQueue<Waiting> queue = new ConcurrentLinkedQueue<>();

        private static final class Waiting {
            final DecidedOrder order;
            volatile boolean done;
            boolean again;
            boolean applied;
            @org.jspecify.annotations.Nullable Exception failure;

            Waiting(DecidedOrder order) {
                this.order = order;
            }
        }

        boolean write(DecidedOrder order) throws Exception {
            Waiting me = new Waiting(order);
            while (true) {
                queue.add(me);
                lock.lock();
                try {
                    if (!me.done) {
                        List<Waiting> group = new ArrayList<>();
                        for (Waiting w; (w = queue.poll()) != null; ) {
                            group.add(w);
                        }
                        writeGroup(group, me);
                    }
                } finally {
                    lock.unlock();
                }
                if (!me.again) {
                    break;
                }
                me.again = false;   // the writer of our group was interrupted (a stop): write it ourselves
                me.done = false;
            }
            if (me.failure != null) {
                throw me.failure;
            }
            return me.applied;
        }

        private void writeGroup(List<Waiting> group, Waiting mine) {
            try {
                boolean[] applied = transaction(group.stream().map(w -> w.order).toList());
                for (int i = 0; i < group.size(); i++) {
                    group.get(i).applied = applied[i];
                }
            } catch (Exception groupFailed) {
                boolean interrupted = Thread.currentThread().isInterrupted();
                for (Waiting w : group) {
                    if (interrupted) {
                        // This call is being stopped: it fails, the others are not its to fail and try again.
                        if (w == mine) {
                            w.failure = groupFailed;
                        } else {
                            w.again = true;
                        }
                        continue;
                    }
                    try {
                        w.applied = group.size() == 1 ? rethrow(groupFailed)
                                : transaction(List.of(w.order))[0];   // alone, so it fails only itself
                    } catch (Exception e) {
                        w.failure = e;
                    }
                }
            } finally {
                for (Waiting w : group) {
                    w.done = true;
                }
            }
        }
    }

    private static boolean rethrow(Exception e) throws Exception {
        throw e;
    }

    /**
     * One database transaction for {@code orders}: the inbox rows of all of them first, then, for those the inbox
     * applied, their outbox events and payment rows. Each statement is prepared once for the group and the payment
     * rows go in one JDBC batch: a group costs three prepared statements, not three or four per order.
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
        transactions.incrementAndGet();
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
            rejected.add(eventId);
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

    /** The payment rows of a group, in one JDBC batch; {@code outboxIds.get(i)} is {@code payments.get(i)}'s event. */
    private void insertPayments(Connection c, List<Payment> payments, List<UUID> outboxIds) throws SQLException {
        if (payments.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + paymentsTable + " (payment_id, order_id, "
                + "customer_id, amount_cents, currency, status, order_event_id, outbox_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (int i = 0; i < payments.size(); i++) {
                Payment p = payments.get(i);
                PlacedOrder order = p.order().order();
                ps.setString(1, p.paymentId());
                ps.setString(2, order.orderId());
                ps.setString(3, order.customerId());
                ps.setLong(4, p.amountCents());
                ps.setString(5, order.currency());
                ps.setString(6, p.status());
                ps.setString(7, p.order().eventId().toString());
                ps.setString(8, outboxIds.get(i).toString());
                ps.addBatch();
            }
            ps.executeBatch();
        }
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
        processor = Processor.start(log, config, this::handle);
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

    /** Calls that committed to the database and then "died" with the processor, before their offsets were committed. */
    public long crashedEvents() {
        return crashedEvents.get();
    }

    /** Database transactions committed for orders; fewer than the orders written when orders shared them. */
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
