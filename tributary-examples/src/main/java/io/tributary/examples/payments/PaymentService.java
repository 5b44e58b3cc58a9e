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
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * The Payments service: charges each placed order exactly once in effect, although the log delivers at least once.
 *
 * <p>It runs a micro-batching {@link Processor} on the {@code orders} topic. Each batch is one database transaction:
 * for each {@code OrderPlaced} the {@link Inbox} row (a redelivered event is skipped), then the payment row and the
 * {@code PaymentSucceeded}/{@code PaymentFailed} event through the {@link Outbox}; the commit makes all of it durable
 * at once, and the offset is committed to the log only afterwards. A crash between the two redelivers the batch, and
 * the inbox turns the redelivery into a no-op. Poison events (see {@link PaymentDecision.Unprocessable}) are parked in
 * {@link ParkedPayments} in the same transaction.
 *
 * <p><b>Order:</b> one order's events are never in two batches at once and arrive in log order; batches of different
 * orders run concurrently. <b>Thread-safety:</b> all methods are safe from any thread.
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
    private final ParkedPayments parked;
    private final AvroSerializer serializer;
    private final AvroDeserializer deserializer;
    private volatile PaymentRules rules;
    private volatile boolean crashing;
    private volatile Processor processor;

    private final AtomicLong charged = new AtomicLong();
    private final AtomicLong declined = new AtomicLong();
    private final AtomicLong parkedCount = new AtomicLong();
    private final AtomicLong redriven = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong crashedBatches = new AtomicLong();

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
        this.parked = new ParkedPayments(tablePrefix);
        this.serializer = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false)
                .withSubjectStrategy(SubjectNameStrategy.TOPIC_RECORD));
        this.deserializer = new AvroDeserializer(registry);
        this.rules = rules;
        this.processor = Processor.startBatched(log, config, this::handleBatch);
    }

    /** Starts the service as consumer group {@code config.name()} on {@code config.topics()}. */
    public static PaymentService start(EventLog log, ProcessorConfig config, DataSource db, String tablePrefix,
                                       OutboxTables outboxTables, String paymentsTopic, SchemaRegistryClient registry,
                                       PaymentRules rules) {
        return new PaymentService(log, config, db, tablePrefix, outboxTables, paymentsTopic, registry, rules);
    }

    /**
     * The service's default processor settings: batches of up to 500 orders, 8 batches in flight per partition,
     * and the demo's simulated crash is not retried (a dead process does not retry either).
     */
    public static ProcessorConfig defaultConfig(String ordersTopic) {
        return ProcessorConfig.of("payments", ordersTopic).withBatching(500, 1 << 20, Duration.ofMillis(5))
                .withConcurrencyPerPartition(8).withMaxBufferedPerPartition(4000)
                .withCommitInterval(Duration.ofMillis(200))
                .withRetry(RetryPolicy.defaults().withNonRetryable(
                        RetryPolicy.DEFAULT_NON_RETRYABLE.or(t -> t instanceof SimulatedCrash)));
    }

    /** Thrown by a batch that committed to the database while the demo "kills" the processor. */
    static final class SimulatedCrash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SimulatedCrash() {
            super("simulated crash of the payment processor after its database commit, before its offset commit",
                    null, false, false);
        }
    }

    /** Creates the payments and parking tables if missing. */
    public static void createTables(Connection c, String tablePrefix) throws SQLException {
        try (Statement s = c.createStatement()) {
            // No unique constraint on order_id, on purpose: exactly-once must come from the inbox, and the demo's
            // check counts the rows per order to prove it.
            s.execute("CREATE TABLE IF NOT EXISTS " + tablePrefix + "payments (payment_id VARCHAR(36) PRIMARY KEY, "
                    + "order_id VARCHAR(64) NOT NULL, customer_id VARCHAR(64) NOT NULL, amount_cents BIGINT NOT NULL, "
                    + "currency VARCHAR(3) NOT NULL, status VARCHAR(16) NOT NULL, order_event_id VARCHAR(36) NOT NULL, "
                    + "outbox_event_id VARCHAR(36) NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS " + tablePrefix + "payments_order ON " + tablePrefix + "payments (order_id)");
        }
        ParkedPayments.createTables(c, tablePrefix);
    }

    private void handleBatch(List<LogRecord> events) throws Exception {
        long c1 = 0, d1 = 0, p1 = 0, dup = 0;
        try (Connection c = db.getConnection()) {
            c.setAutoCommit(false);
            try {
                for (LogRecord e : events) {
                    if (!EventSchemas.ORDER_PLACED.equals(e.headers().eventType().orElse(""))) {
                        continue;   // the orders topic carries every order event; payments needs only OrderPlaced
                    }
                    UUID eventId = e.headers().eventId().orElseThrow(() -> new IllegalStateException("Event at "
                            + e.topic() + "/" + e.partition() + "@" + e.offset() + " has no event id header; the "
                            + "inbox needs it to apply the event once. Publish order events through the forwarder"));
                    if (!inbox.markProcessed(c, INBOX_CONSUMER, eventId)) {
                        dup++;
                        continue;
                    }
                    switch (apply(c, eventId, e.value())) {
                        case PaymentDecision.Charge ch -> c1++;
                        case PaymentDecision.Decline de -> d1++;
                        case PaymentDecision.Unprocessable un -> p1++;
                    }
                }
                c.commit();
            } catch (Exception ex) {
                c.rollback();
                throw ex;
            }
        }
        charged.addAndGet(c1);
        declined.addAndGet(d1);
        parkedCount.addAndGet(p1);
        duplicates.addAndGet(dup);
        if (crashing) {
            // The simulated crash: the database commit happened, the offset commit will not. Failing here is what a
            // process dying at this point looks like to the log: the batch is delivered again after the restart.
            crashedBatches.incrementAndGet();
            throw new SimulatedCrash();
        }
    }

    /**
     * Decides one order and writes the outcome in the caller's transaction. THE place where poison events leave the
     * flow: {@link PaymentDecision.Unprocessable} goes to {@link ParkedPayments}; to use a dead-letter queue
     * instead, send it there at this one spot (and make {@link #redriveParked} its redrive handler).
     */
    private PaymentDecision apply(Connection c, UUID orderEventId, byte @org.jspecify.annotations.Nullable [] payload)
            throws SQLException {
        String orderId = "?";
        PaymentDecision decision;
        String customerId = "";
        String currency = "";
        try {
            GenericRecord order = (GenericRecord) Objects.requireNonNull(
                    deserializer.deserialize(payload, EventSchemas.ORDER_PLACED_V1));   // our reader: still v1
            orderId = String.valueOf(order.get("orderId"));
            customerId = String.valueOf(order.get("customerId"));
            currency = String.valueOf(order.get("currency"));
            decision = rules.decide(orderId, (Long) order.get("amountCents"), currency);
        } catch (RuntimeException undecodable) {
            decision = new PaymentDecision.Unprocessable("event " + orderEventId + " is not a readable OrderPlaced: "
                    + undecodable.getMessage());
        }
        String paymentId = UuidV7.next().toString();
        switch (decision) {
            case PaymentDecision.Charge ch -> {
                UUID out = outbox.add(c, event(orderId, orderEventId, EventSchemas.PAYMENT_SUCCEEDED_TYPE,
                        EventSchemas.PAYMENT_SUCCEEDED, paymentId, "amountCents", ch.amountCents()));
                insertPayment(c, paymentId, orderId, customerId, ch.amountCents(), currency, "CHARGED", orderEventId, out);
            }
            case PaymentDecision.Decline de -> {
                UUID out = outbox.add(c, event(orderId, orderEventId, EventSchemas.PAYMENT_FAILED_TYPE,
                        EventSchemas.PAYMENT_FAILED, paymentId, "reason", de.reason()));
                insertPayment(c, paymentId, orderId, customerId, 0, currency, "DECLINED", orderEventId, out);
            }
            case PaymentDecision.Unprocessable un -> parked.park(c, orderEventId, orderId,
                    payload == null ? new byte[0] : payload, un.error());
        }
        return decision;
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

    private void insertPayment(Connection c, String paymentId, String orderId, String customerId, long amount,
                               String currency, String status, UUID orderEventId, UUID outboxEventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + paymentsTable + " (payment_id, order_id, "
                + "customer_id, amount_cents, currency, status, order_event_id, outbox_event_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, paymentId);
            ps.setString(2, orderId);
            ps.setString(3, customerId);
            ps.setLong(4, amount);
            ps.setString(5, currency);
            ps.setString(6, status);
            ps.setString(7, orderEventId.toString());
            ps.setString(8, outboxEventId.toString());
            ps.executeUpdate();
        }
    }

    /** Deploys new rules (the "fix"); batches started from now on use them. */
    public void useRules(PaymentRules newRules) {
        this.rules = Objects.requireNonNull(newRules, "newRules");
    }

    /**
     * Redrives every parked order through the current rules, each in its own transaction: the outcome (payment row,
     * outbox event) and the parked row's {@code redriven} flag commit together, so a redrive can be repeated safely.
     *
     * @return how many parked orders were processed this time; those still unprocessable stay parked with the new error
     */
    public int redriveParked() throws SQLException {
        int done = 0;
        List<ParkedPayments.Parked> waiting;
        try (Connection c = db.getConnection()) {
            waiting = parked.waiting(c);
        }
        for (ParkedPayments.Parked p : waiting) {
            try (Connection c = db.getConnection()) {
                c.setAutoCommit(false);
                try {
                    PaymentDecision d = apply(c, p.eventId(), p.payload());
                    if (d instanceof PaymentDecision.Unprocessable un) {
                        c.rollback();   // apply() parked it again; keep the original row and count the attempt
                        c.setAutoCommit(true);
                        parked.markFailedAgain(c, p.eventId(), un.error());
                        continue;
                    }
                    parked.markRedriven(c, p.eventId());
                    c.commit();
                    if (d instanceof PaymentDecision.Charge) {
                        charged.incrementAndGet();
                    } else {
                        declined.incrementAndGet();
                    }
                    redriven.incrementAndGet();
                    done++;
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
        }
        return done;
    }

    /**
     * Kills the processor the hard way, as a crash would: batches that finish from now on commit their database
     * transaction and then fail before their offsets are committed, and the processor stops. Their events will be
     * delivered again to the next instance ({@link #restart}); the inbox must absorb every one of them.
     */
    public void crash() {
        crashing = true;
        // The first crashed batch stops the processor (not retryable): it commits only below that batch, as if the
        // process had died. Batches still in flight finish and crash the same way. close() covers a processor whose
        // batches were all idle at that moment.
        processor.awaitTermination(Duration.ofSeconds(2));
        processor.close();
    }

    /** Starts a new processor instance in the same consumer group, as a restarted process would. */
    public void restart() {
        crashing = false;
        processor = Processor.startBatched(log, config, this::handleBatch);
    }

    /** Orders charged so far. */
    public long charged() {
        return charged.get();
    }

    /** Orders declined so far. */
    public long declined() {
        return declined.get();
    }

    /** Orders parked as unprocessable so far (including those later redriven). */
    public long parked() {
        return parkedCount.get();
    }

    /** Parked orders redriven successfully. */
    public long redriven() {
        return redriven.get();
    }

    /** Redelivered events the inbox recognised and skipped. */
    public long duplicatesSkipped() {
        return duplicates.get();
    }

    /** Batches that committed to the database and then "crashed" before their offsets were committed. */
    public long crashedBatches() {
        return crashedBatches.get();
    }

    /** The processor instance running now. */
    public Processor processor() {
        return processor;
    }

    /** The parking table, for inspection. */
    public ParkedPayments parkedPayments() {
        return parked;
    }

    @Override
    public void close() {
        processor.close();
    }
}
