package io.tributary.examples.contracts;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * The Avro schemas of every event in the demo, parsed once from the {@code .avsc} files next to this class.
 *
 * <p>Events are serialized with the registry's wire format and the {@code TOPIC_RECORD} subject strategy, so each
 * event type on a topic evolves under its own subject, e.g. {@code orders-io.tributary.examples.contracts.OrderPlaced}.
 * Immutable and thread-safe.
 */
public final class EventSchemas {

    /** {@code OrderPlaced} as first released. */
    public static final Schema ORDER_PLACED_V1 = load("OrderPlaced-v1.avsc");
    /** {@code OrderPlaced} with {@code salesChannel} (default {@code "web"}): registered midway through the demo. */
    public static final Schema ORDER_PLACED_V2 = load("OrderPlaced-v2.avsc");
    public static final Schema PAYMENT_CONFIRMED = load("PaymentConfirmed.avsc");
    public static final Schema ORDER_SHIPPED = load("OrderShipped.avsc");
    public static final Schema ORDER_CANCELLED = load("OrderCancelled.avsc");
    public static final Schema PAYMENT_SUCCEEDED = load("PaymentSucceeded.avsc");
    public static final Schema PAYMENT_FAILED = load("PaymentFailed.avsc");

    /** Event types, as written in the event store and in the {@code tributary-event-type} header. */
    public static final String ORDER_PLACED = "OrderPlaced";
    public static final String PAYMENT_CONFIRMED_TYPE = "PaymentConfirmed";
    public static final String ORDER_SHIPPED_TYPE = "OrderShipped";
    public static final String ORDER_CANCELLED_TYPE = "OrderCancelled";
    public static final String PAYMENT_SUCCEEDED_TYPE = "PaymentSucceeded";
    public static final String PAYMENT_FAILED_TYPE = "PaymentFailed";

    /**
     * Header carrying an order event's version in its event-store stream (0 for {@code OrderPlaced}); consumers use it
     * to apply each order's events once and in order.
     */
    public static final String STREAM_VERSION_HEADER = "tributary-stream-version";

    private EventSchemas() {
    }

    /** The subject an event type of {@code topic} is registered under ({@code TOPIC_RECORD} strategy). */
    public static String subject(String topic, Schema schema) {
        return topic + "-" + schema.getFullName();
    }

    private static Schema load(String file) {
        try (InputStream in = Objects.requireNonNull(EventSchemas.class.getResourceAsStream(file), file)) {
            return new Schema.Parser().parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the schema " + file + " from the tributary-examples jar", e);
        }
    }
}
