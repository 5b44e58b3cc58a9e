package io.tributary.examples.orders;

import io.tributary.core.Headers;
import io.tributary.core.StandardHeaders;
import io.tributary.eventstore.CommandResult;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.EventLog;
import io.tributary.log.LogRecord;
import io.tributary.processing.Processor;
import io.tributary.processing.ProcessorConfig;
import io.tributary.schema.AvroDeserializer;
import io.tributary.schema.SchemaRegistryClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.avro.generic.GenericRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process manager between Payments and Orders: for each event on the {@code payments} topic it confirms and ships
 * the order ({@code PaymentSucceeded}) or cancels it ({@code PaymentFailed}).
 *
 * <p><b>Idempotency</b> comes from the aggregate, not from a table: a redelivered {@code PaymentSucceeded} finds the
 * order already confirmed with that payment id and {@link Order} accepts it with no new events; a redelivered
 * {@code PaymentFailed} finds it cancelled, so a redelivered batch changes nothing either. <b>Order:</b> the processor
 * hands over micro-batches ({@link #defaultConfig}: whatever is ready, up to 128 events, no wait) in which one order's
 * events keep their log order; the saga handles them one at a time per order, and the batch's different orders
 * concurrently on virtual threads, so their event-store appends land in the same group commit (one fsync) as they did
 * when each event was its own handler call, without a processor task per event. No order is in two batches in flight.
 * <b>Durability:</b> a batch's offsets are committed only after every command of the batch was appended to the event
 * store; if one order's append fails, the whole batch is retried, and the orders it had already applied are accepted
 * again with no events.
 */
public final class PaymentSaga implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PaymentSaga.class);

    private final Orders orders;
    private final AvroDeserializer deserializer;
    private final Confirmations confirmations;
    private final AtomicLong confirmed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong repeats = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final Processor processor;

    private PaymentSaga(EventLog log, ProcessorConfig config, Orders orders, SchemaRegistryClient registry,
                        Confirmations confirmations) {
        this.orders = orders;
        this.deserializer = new AvroDeserializer(registry);
        this.confirmations = confirmations;
        this.processor = Processor.startBatched(log, config, this::handleBatch);
    }

    /**
     * Starts the saga as consumer group {@code config.name()} on {@code config.topics()}.
     *
     * @param confirmations told of each order it confirms, once (not of redelivered confirmations)
     */
    public static PaymentSaga start(EventLog log, ProcessorConfig config, Orders orders, SchemaRegistryClient registry,
                                    Confirmations confirmations) {
        return new PaymentSaga(log, config, orders, registry, confirmations);
    }

    /** Told of each order the saga confirms, on the saga's handler threads (concurrently): must be thread-safe. */
    @FunctionalInterface
    public interface Confirmations {
        /**
         * @param orderId           the order
         * @param placedAtMicros    when it was placed, as its {@code OrderPlaced} event records it (wall clock, µs)
         * @param confirmedAtMicros when the saga's confirmation was appended (wall clock, µs)
         */
        void confirmed(String orderId, long placedAtMicros, long confirmedAtMicros);
    }

    /**
     * Handles a batch: each order's events in their order, different orders concurrently. The event store has no
     * append for several streams at once, so the concurrency is what lets the orders share one group commit. The
     * first order runs on the calling thread, so a batch of one order (the usual case at low load) starts no thread.
     */
    private void handleBatch(List<LogRecord> events) throws Exception {
        Map<String, List<LogRecord>> byOrder = new LinkedHashMap<>();
        for (LogRecord e : events) {
            byOrder.computeIfAbsent(orderId(e), k -> new ArrayList<>(1)).add(e);
        }
        Iterator<Map.Entry<String, List<LogRecord>>> orders = byOrder.entrySet().iterator();
        Map.Entry<String, List<LogRecord>> first = orders.next();
        if (!orders.hasNext()) {
            handleInOrder(first.getKey(), first.getValue());
            return;
        }
        List<Thread> others = new ArrayList<>(byOrder.size() - 1);
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        while (orders.hasNext()) {
            Map.Entry<String, List<LogRecord>> next = orders.next();
            others.add(Thread.ofVirtual().name("tributary-order-saga-order").start(() -> {
                try {
                    handleInOrder(next.getKey(), next.getValue());
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        try {
            handleInOrder(first.getKey(), first.getValue());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        for (Thread t : others) {
            t.join();
        }
        if (!failures.isEmpty()) {
            RuntimeException failed = new IllegalStateException(failures.size() + " of the " + byOrder.size()
                    + " orders of a payments batch could not be applied; the batch is retried (orders already "
                    + "applied are accepted again with no events)", failures.getFirst());
            failures.stream().skip(1).forEach(failed::addSuppressed);
            throw failed;
        }
    }

    private void handleInOrder(String orderId, List<LogRecord> events) {
        for (LogRecord e : events) {
            handle(orderId, e);
        }
    }

    private static String orderId(LogRecord event) {
        return new String(Objects.requireNonNull(event.key(), "payments events are keyed by order id"),
                StandardCharsets.UTF_8);
    }

    private void handle(String orderId, LogRecord event) {
        String type = event.headers().eventType().orElse("");
        // Causation: the order's new events point at the payment event that caused them.
        Headers meta = Headers.empty().with(StandardHeaders.CAUSATION_ID,
                event.headers().eventId().map(Object::toString).orElse(""));
        switch (type) {
            case EventSchemas.PAYMENT_SUCCEEDED_TYPE -> {
                GenericRecord g = (GenericRecord) Objects.requireNonNull(
                        deserializer.deserialize(event.value(), EventSchemas.PAYMENT_SUCCEEDED));
                String paymentId = OrderEventCodec.str(g, "paymentId");
                // Ship is idempotent too: a repeat after a crash between confirm and ship still ships once.
                CommandResult<Order.State> result = orders.confirmAndShip(orderId,
                        new Order.ConfirmPayment(paymentId, (Long) g.get("amountCents")), meta);
                switch (result) {
                    case CommandResult.Accepted<Order.State> a when !a.events().isEmpty() -> {
                        confirmations.confirmed(orderId, a.state().placedAtMicros(), nowMicros());
                        confirmed.incrementAndGet();
                    }
                    case CommandResult.Accepted<Order.State> a -> repeats.incrementAndGet();
                    case CommandResult.Rejected<Order.State> r -> {
                        refused.incrementAndGet();
                        LOG.warn("Payment {} of order {} not applied: {}", paymentId, orderId, r.reason());
                    }
                }
            }
            case EventSchemas.PAYMENT_FAILED_TYPE -> {
                GenericRecord g = (GenericRecord) Objects.requireNonNull(
                        deserializer.deserialize(event.value(), EventSchemas.PAYMENT_FAILED));
                switch (orders.handle(orderId, new Order.Cancel("payment declined: " + OrderEventCodec.str(g, "reason")), meta)) {
                    case CommandResult.Accepted<Order.State> a when !a.events().isEmpty() -> cancelled.incrementAndGet();
                    case CommandResult.Accepted<Order.State> a -> repeats.incrementAndGet();
                    case CommandResult.Rejected<Order.State> r -> {
                        refused.incrementAndGet();
                        LOG.warn("Order {} not cancelled: {}", orderId, r.reason());
                    }
                }
            }
            default -> LOG.debug("Ignoring event type '{}' on the payments topic", type);
        }
    }

    private static long nowMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    /** Orders confirmed (and shipped) so far. */
    public long confirmed() {
        return confirmed.get();
    }

    /** Orders cancelled so far. */
    public long cancelled() {
        return cancelled.get();
    }

    /** Redelivered payment events that changed nothing (the aggregate had already applied them). */
    public long repeats() {
        return repeats.get();
    }

    /** Payment events the order refused (e.g. a payment for a cancelled order); each is logged with the reason. */
    public long refused() {
        return refused.get();
    }

    /** The processor underneath, for its state and failure. */
    public Processor processor() {
        return processor;
    }

    @Override
    public void close() {
        processor.close();
    }

    /**
     * The saga's default processor settings: batches of whatever is ready, up to 128 events, with no wait for more
     * (the saga is on the order's critical path), and 4 batches in flight per partition, so up to 512 orders per
     * partition wait on event-store fsyncs at once (it was 128 single-event calls).
     */
    public static ProcessorConfig defaultConfig(String topic) {
        return ProcessorConfig.of("order-saga", topic).withBatching(128, 1 << 20, Duration.ZERO)
                .withConcurrencyPerPartition(4).withMaxBufferedPerPartition(4000)
                .withCommitInterval(Duration.ofMillis(200));
    }
}
