package io.tributary.examples.orders;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.EventCodec;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.schema.AvroDeserializer;
import io.tributary.schema.AvroSerdeConfig;
import io.tributary.schema.AvroSerializer;
import io.tributary.schema.SchemaRegistryClient;
import io.tributary.schema.spi.SubjectNameStrategy;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/**
 * Stores order events in the event store as Avro in the registry's wire format (magic byte, schema id, binary), the
 * same bytes that then travel on the {@code orders} topic: the forwarder copies them, no re-encoding.
 *
 * <p>Producers write {@code OrderPlaced} with schema v1 until {@link #writeOrderPlacedV2()} switches them to v2;
 * auto-registration is off, so a producer can only write a schema someone registered (and the registry checked).
 * Decoding always uses the newest reader schema this service knows (v2): v1 events read with the default
 * {@code salesChannel = "web"}. Thread-safe.
 */
public final class OrderEventCodec implements EventCodec<Order.Event> {

    private final String topic;
    private final AvroSerializer serializer;
    private final AvroDeserializer deserializer;
    private volatile Schema orderPlacedWriter = EventSchemas.ORDER_PLACED_V1;

    /** A codec whose subjects are those of {@code topic} (the topic the events are forwarded to). */
    public OrderEventCodec(SchemaRegistryClient registry, String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.serializer = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false)
                .withSubjectStrategy(SubjectNameStrategy.TOPIC_RECORD));
        this.deserializer = new AvroDeserializer(registry);
    }

    /** From now on, new {@code OrderPlaced} events are written with schema v2 (register it first). */
    public void writeOrderPlacedV2() {
        orderPlacedWriter = EventSchemas.ORDER_PLACED_V2;
    }

    /** The schema new {@code OrderPlaced} events are written with. */
    public Schema orderPlacedWriter() {
        return orderPlacedWriter;
    }

    @Override
    public String typeOf(Order.Event event) {
        return switch (event) {
            case Order.Placed p -> EventSchemas.ORDER_PLACED;
            case Order.PaymentConfirmed c -> EventSchemas.PAYMENT_CONFIRMED_TYPE;
            case Order.Shipped s -> EventSchemas.ORDER_SHIPPED_TYPE;
            case Order.Cancelled c -> EventSchemas.ORDER_CANCELLED_TYPE;
        };
    }

    @Override
    public byte[] encode(Order.Event event) {
        GenericRecord r = switch (event) {
            case Order.Placed p -> {
                Schema writer = orderPlacedWriter;
                GenericRecord g = new GenericData.Record(writer);
                g.put("orderId", p.orderId());
                g.put("customerId", p.customerId());
                g.put("amountCents", p.amountCents());
                g.put("currency", p.currency());
                g.put("placedAtMicros", p.placedAtMicros());
                if (writer.getField("salesChannel") != null) {
                    g.put("salesChannel", p.salesChannel());
                }
                yield g;
            }
            case Order.PaymentConfirmed c -> {
                GenericRecord g = new GenericData.Record(EventSchemas.PAYMENT_CONFIRMED);
                g.put("orderId", c.orderId());
                g.put("paymentId", c.paymentId());
                g.put("amountCents", c.amountCents());
                yield g;
            }
            case Order.Shipped s -> {
                GenericRecord g = new GenericData.Record(EventSchemas.ORDER_SHIPPED);
                g.put("orderId", s.orderId());
                yield g;
            }
            case Order.Cancelled c -> {
                GenericRecord g = new GenericData.Record(EventSchemas.ORDER_CANCELLED);
                g.put("orderId", c.orderId());
                g.put("reason", c.reason());
                yield g;
            }
        };
        return Objects.requireNonNull(serializer.serialize(topic, r));
    }

    @Override
    public Order.Event decode(String type, byte[] data) {
        return switch (type) {
            case EventSchemas.ORDER_PLACED -> {
                GenericRecord g = read(data, EventSchemas.ORDER_PLACED_V2);
                yield new Order.Placed(str(g, "orderId"), str(g, "customerId"), (Long) g.get("amountCents"),
                        str(g, "currency"), (Long) g.get("placedAtMicros"), str(g, "salesChannel"));
            }
            case EventSchemas.PAYMENT_CONFIRMED_TYPE -> {
                GenericRecord g = read(data, EventSchemas.PAYMENT_CONFIRMED);
                yield new Order.PaymentConfirmed(str(g, "orderId"), str(g, "paymentId"), (Long) g.get("amountCents"));
            }
            case EventSchemas.ORDER_SHIPPED_TYPE -> new Order.Shipped(str(read(data, EventSchemas.ORDER_SHIPPED), "orderId"));
            case EventSchemas.ORDER_CANCELLED_TYPE -> {
                GenericRecord g = read(data, EventSchemas.ORDER_CANCELLED);
                yield new Order.Cancelled(str(g, "orderId"), str(g, "reason"));
            }
            default -> throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Unknown order event type '" + type
                    + "'; this codec reads " + EventSchemas.ORDER_PLACED + ", " + EventSchemas.PAYMENT_CONFIRMED_TYPE
                    + ", " + EventSchemas.ORDER_SHIPPED_TYPE + " and " + EventSchemas.ORDER_CANCELLED_TYPE
                    + "; deploy the service version that wrote it");
        };
    }

    private GenericRecord read(byte[] data, Schema reader) {
        return (GenericRecord) Objects.requireNonNull(deserializer.deserialize(data, reader));
    }

    static String str(GenericRecord g, String field) {
        return String.valueOf(g.get(field));
    }
}
