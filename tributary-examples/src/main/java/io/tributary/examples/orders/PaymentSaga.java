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
 * {@code PaymentFailed} finds it cancelled. <b>Order:</b> the processor handles one order's events one at a time
 * (keys are order ids); different orders run concurrently ({@code concurrencyPerPartition}) on virtual threads.
 * <b>Durability:</b> an event's offset is committed only after its commands were appended to the event store.
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
        this.processor = Processor.start(log, config, this::handle);
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

    private void handle(LogRecord event) {
        String type = event.headers().eventType().orElse("");
        String orderId = new String(Objects.requireNonNull(event.key(), "payments events are keyed by order id"),
                StandardCharsets.UTF_8);
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

    /** The saga's default processor settings: many orders in flight per partition, since each waits on an fsync. */
    public static ProcessorConfig defaultConfig(String topic) {
        return ProcessorConfig.of("order-saga", topic).withConcurrencyPerPartition(128)
                .withMaxBufferedPerPartition(4000).withCommitInterval(Duration.ofMillis(200));
    }
}
