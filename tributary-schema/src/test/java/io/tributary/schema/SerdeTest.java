package io.tributary.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.schema.spi.SubjectNameStrategy;
import io.tributary.schema.testmodel.OrderPlaced;
import io.tributary.schema.testmodel.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The wire format, byte for byte, and serializer/deserializer round trips with generic and generated classes. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SerdeTest {

    /** Version 1 of OrderPlaced, as an older producer wrote it. */
    static final Schema ORDER_V1 = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"OrderPlaced\","
            + "\"namespace\":\"io.tributary.schema.testmodel\",\"fields\":["
            + "{\"name\":\"orderId\",\"type\":\"string\"},"
            + "{\"name\":\"amountCents\",\"type\":\"int\"},"
            + "{\"name\":\"legacyCode\",\"type\":\"string\",\"default\":\"\"},"
            + "{\"name\":\"status\",\"type\":{\"type\":\"enum\",\"name\":\"Status\","
            + "\"symbols\":[\"NEW\",\"PAID\",\"SHIPPED\",\"UNKNOWN\"],\"default\":\"UNKNOWN\"},\"default\":\"NEW\"}]}");

    private final SchemaRegistry registry = SchemaRegistry.inMemory();
    private final AvroSerializer serializer = new AvroSerializer(registry);
    private final AvroDeserializer deserializer = new AvroDeserializer(registry);

    static GenericRecord v1(String id, int cents) {
        GenericRecord r = new GenericData.Record(ORDER_V1);
        r.put("orderId", id);
        r.put("amountCents", cents);
        r.put("legacyCode", "L7");
        r.put("status", new GenericData.EnumSymbol(ORDER_V1.getField("status").schema(), "PAID"));
        return r;
    }

    private static byte[] plainAvro(Schema schema, Object value) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(value, enc);
        enc.flush();
        return out.toByteArray();
    }

    @Test
    void bytesAreMagicZeroThenTheBigEndianIdThenPlainAvroBinary() throws IOException {
        // push the id above 255 so every byte of the id matters
        for (int i = 0; i < 300; i++) {
            registry.register("filler-" + i, Schema.createFixed("F" + i, null, "x", 1));
        }
        GenericRecord order = v1("o-1", 1250);
        byte[] bytes = serializer.serialize("orders", order);
        int id = registry.lookup("orders-value", SchemaText.avro(ORDER_V1.toString())).orElseThrow().id();
        assertThat(id).isGreaterThan(255);
        assertThat(bytes[0]).isEqualTo((byte) 0);
        assertThat(ByteBuffer.wrap(bytes, 1, 4).getInt()).isEqualTo(id);
        assertThat(Arrays.copyOfRange(bytes, 0, 5)).containsExactly(0, 0, 0, (byte) (id >>> 8), (byte) id);
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(plainAvro(ORDER_V1, order));
        assertThat(WireFormat.schemaId(bytes)).isEqualTo(id);
    }

    @Test
    void genericRecordsRoundTrip() {
        GenericRecord order = v1("o-2", 99);
        GenericRecord back = (GenericRecord) deserializer.deserialize(serializer.serialize("orders", order));
        assertThat(back).isEqualTo(order);
        assertThat(back.get("orderId")).hasToString("o-2");
    }

    @Test
    void generatedSpecificRecordsRoundTrip() {
        OrderPlaced order = OrderPlaced.newBuilder().setOrderId("o-3").setAmountCents(5_000_000_000L).setQuantity(3)
                .setNote("gift").setStatus(Status.SHIPPED).build();
        byte[] bytes = serializer.serialize("orders", order);
        assertThat(deserializer.deserialize(bytes, OrderPlaced.class)).isEqualTo(order);
        GenericRecord generic = (GenericRecord) deserializer.deserialize(bytes);
        assertThat(generic.get("amountCents")).isEqualTo(5_000_000_000L);
        assertThat(registry.latest("orders-value").schema()).isEqualTo(OrderPlaced.getClassSchema().toString());
    }

    @Test
    void primitivesAndTombstonesRoundTrip() {
        assertThat(deserializer.deserialize(serializer.serialize("t", "hello"))).isEqualTo("hello");
        assertThat(deserializer.deserialize(serializer.serialize("t2", 42L))).isEqualTo(42L);
        assertThat(deserializer.deserialize(serializer.serialize("t3", new byte[] {1, 2}))).isEqualTo(new byte[] {1, 2});
        assertThat(serializer.serialize("t", null)).isNull();
        assertThat(deserializer.deserialize(null)).isNull();
        assertThatThrownBy(() -> serializer.serialize("t", new Object()))
                .hasMessageContaining("GenericRecord");
    }

    @Test
    void anOldEventIsReadByANewReaderWithDefaultsFilledAndRemovedFieldsDropped() {
        byte[] old = serializer.serialize("orders", v1("o-4", 700));
        OrderPlaced current = deserializer.deserialize(old, OrderPlaced.class);
        assertThat(current.getOrderId()).isEqualTo("o-4");
        assertThat(current.getAmountCents()).as("int promoted to long").isEqualTo(700L);
        assertThat(current.getQuantity()).as("added field gets its default").isEqualTo(1);
        assertThat(current.getNote()).isNull();
        assertThat(current.getStatus()).isEqualTo(Status.PAID);
        assertThat(current.getSchema().getField("legacyCode")).as("removed field is dropped").isNull();

        GenericRecord generic = (GenericRecord) deserializer.deserialize(old, OrderPlaced.getClassSchema());
        assertThat(generic.get("quantity")).isEqualTo(1);
    }

    @Test
    void aValueThatFailsHalfWayLeavesNoBytesInTheNextOne() throws IOException {
        GenericRecord broken = v1("o-half", 1);
        broken.put("legacyCode", null); // fails after orderId and amountCents are encoded
        assertThatThrownBy(() -> serializer.serialize("orders", broken))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SERIALIZATION_FAILED));
        GenericRecord next = v1("o-next", 2);
        byte[] bytes = serializer.serialize("orders", next);
        assertThat(Arrays.copyOfRange(bytes, 5, bytes.length)).isEqualTo(plainAvro(ORDER_V1, next));
        assertThat(deserializer.deserialize(bytes)).isEqualTo(next);
    }

    @Test
    void interleavedWriterVersionsAndReadersDecodeRightOnEveryThread() throws Exception {
        GenericRecord oldOrder = v1("o-old", 7);
        OrderPlaced newOrder = OrderPlaced.newBuilder().setOrderId("o-new").setAmountCents(8L).setQuantity(2)
                .setStatus(Status.NEW).build();
        byte[] oldBytes = serializer.serialize("orders", oldOrder);
        byte[] newBytes = serializer.serialize("orders", newOrder);
        assertThat(WireFormat.schemaId(oldBytes)).isNotEqualTo(WireFormat.schemaId(newBytes));
        OrderPlaced oldAsNew = OrderPlaced.newBuilder().setOrderId("o-old").setAmountCents(7L).setQuantity(1)
                .setStatus(Status.PAID).build();
        // Each thread switches writer id, reader schema and generic/specific on every value, so a reader reused
        // for the wrong (writer, reader) pair would show as a wrong value or a decoding error.
        Callable<Integer> mixedReads = () -> {
            for (int i = 0; i < 500; i++) {
                assertThat(deserializer.deserialize(oldBytes)).isEqualTo(oldOrder);
                assertThat(deserializer.deserialize(newBytes, OrderPlaced.class)).isEqualTo(newOrder);
                assertThat(deserializer.deserialize(oldBytes, OrderPlaced.class)).isEqualTo(oldAsNew);
                assertThat(((GenericRecord) deserializer.deserialize(newBytes)).get("quantity")).isEqualTo(2);
                assertThat(((GenericRecord) deserializer.deserialize(oldBytes, OrderPlaced.getClassSchema()))
                        .get("quantity")).isEqualTo(1);
            }
            return 500;
        };
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<Integer>> runs = pool.invokeAll(List.of(mixedReads, mixedReads, mixedReads, mixedReads));
            for (Future<Integer> run : runs) {
                assertThat(run.get()).isEqualTo(500);
            }
        }
    }

    @Test
    void subjectNameStrategiesChooseTheSubject() {
        GenericRecord order = v1("o-5", 1);
        new AvroSerializer(registry, AvroSerdeConfig.defaults().withSubjectStrategy(SubjectNameStrategy.RECORD))
                .serialize("orders", order);
        new AvroSerializer(registry, AvroSerdeConfig.defaults().withSubjectStrategy(SubjectNameStrategy.TOPIC_RECORD))
                .serialize("orders", order);
        new AvroSerializer(registry, AvroSerdeConfig.defaults().forKeys()).serialize("orders", "key-1");
        assertThat(registry.subjects()).containsExactly("io.tributary.schema.testmodel.OrderPlaced",
                "orders-io.tributary.schema.testmodel.OrderPlaced", "orders-key");
        assertThatThrownBy(() -> new AvroSerializer(registry, AvroSerdeConfig.defaults()
                .withSubjectStrategy(SubjectNameStrategy.RECORD)).serialize("orders", "not a record"))
                .hasMessageContaining("record schema");
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaFailsNamingTheSubjectAndLevel() {
        AvroSerializer strict = new AvroSerializer(registry, AvroSerdeConfig.defaults().withAutoRegister(false));
        assertThatThrownBy(() -> strict.serialize("orders", v1("o-6", 1)))
                .isInstanceOf(NotFoundException.class)
                .hasMessageContaining("orders-value").hasMessageContaining("BACKWARD")
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(SchemaErrors.SCHEMA_NOT_REGISTERED));
        registry.register("orders-value", ORDER_V1);
        assertThat(WireFormat.schemaId(strict.serialize("orders", v1("o-6", 1)))).isEqualTo(1);
    }

    @Test
    void garbageIsRefusedWithTheReason() {
        assertThatThrownBy(() -> deserializer.deserialize("{\"json\":true}".getBytes()))
                .hasMessageContaining("magic byte").hasMessageContaining("JSON");
        assertThatThrownBy(() -> deserializer.deserialize(new byte[] {0, 0, 0}))
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> deserializer.deserialize(new byte[] {0, 0, 0, 0, 77, 1}))
                .hasMessageContaining("77");
    }
}
