package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.jspecify.annotations.Nullable;

/**
 * Serializes Avro values ({@link org.apache.avro.generic.GenericRecord}, generated {@link SpecificRecord} classes,
 * enums, fixed, and primitives) into the Confluent {@link WireFormat}, so the bytes are interchangeable with
 * Confluent's {@code KafkaAvroSerializer}.
 *
 * <p><b>Enforcement.</b> The first value of a schema for a topic resolves its id: with auto-registration the schema is
 * registered (an {@link IncompatibleSchemaException} — or over HTTP a {@code ConflictException} with
 * {@link SchemaErrors#INCOMPATIBLE_SCHEMA} — if it breaks the subject's level); without, it must already be
 * registered ({@link SchemaErrors#SCHEMA_NOT_REGISTERED}, or an {@link IncompatibleSchemaException} when it could not
 * even be registered). Either way the error comes before any byte is written, and names the subject, the level and
 * the incompatibilities.
 * <p><b>Speed.</b> After the first value, the id comes from a cache keyed by topic and schema instance, and the
 * writer from a cache keyed by schema: the cost over plain Avro encoding is the 5-byte header.
 * <p>Thread-safe.
 */
public final class AvroSerializer {

    private final SchemaRegistryClient client;
    private final AvroSerdeConfig config;
    private final Map<String, Map<Schema, Integer>> ids = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> genericWriters = new ConcurrentHashMap<>();
    private final Map<Schema, DatumWriter<Object>> specificWriters = new ConcurrentHashMap<>();
    private final ThreadLocal<Buffers> buffers = ThreadLocal.withInitial(Buffers::new);

    private static final class Buffers {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        final byte[] header = new byte[WireFormat.HEADER_SIZE];
        @Nullable BinaryEncoder encoder;
    }

    public AvroSerializer(SchemaRegistryClient client, AvroSerdeConfig config) {
        this.client = client;
        this.config = config;
    }

    public AvroSerializer(SchemaRegistryClient client) {
        this(client, AvroSerdeConfig.defaults());
    }

    /** Serializes a value for {@code topic}; {@code null} stays {@code null} (a tombstone). */
    public byte @Nullable [] serialize(String topic, @Nullable Object value) {
        if (value == null) {
            return null;
        }
        Schema schema = schemaOf(value);
        int id = schemaId(topic, schema);
        DatumWriter<Object> writer = writer(value, schema);
        Buffers b = buffers.get();
        b.out.reset();
        WireFormat.writeHeader(b.header, id);
        b.out.write(b.header, 0, WireFormat.HEADER_SIZE);
        try {
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(b.out, b.encoder);
            b.encoder = encoder;
            writer.write(value instanceof byte[] raw ? ByteBuffer.wrap(raw) : value, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot serialize a "
                    + value.getClass().getName() + " for topic '" + topic + "' with schema " + schema.getFullName()
                    + " (id " + id + "): " + e.getMessage() + "; check that the value matches its schema", e);
        }
        return b.out.toByteArray();
    }

    /**
     * The id of {@code schema} for {@code topic}: cached, else registered or looked up as the config says.
     */
    public int schemaId(String topic, Schema schema) {
        Map<Schema, Integer> byTopic = ids.computeIfAbsent(topic, t -> new ConcurrentHashMap<>());
        Integer id = byTopic.get(schema);
        if (id != null) {
            return id;
        }
        int resolved = resolveId(topic, schema);
        byTopic.put(schema, resolved);
        return resolved;
    }

    private int resolveId(String topic, Schema schema) {
        String subject = config.subjectStrategy().subject(topic, config.key(), schema);
        SchemaText text = SchemaText.avro(schema.toString());
        if (config.autoRegister()) {
            return client.register(subject, text);
        }
        var found = client.lookup(subject, text);
        if (found.isPresent()) {
            return found.get().id();
        }
        CompatibilityResult check = client.testCompatibility(subject, text);
        if (!check.compatible()) {
            throw new IncompatibleSchemaException(subject, check.level(), check.incompatibilities());
        }
        throw new NotFoundException(SchemaErrors.SCHEMA_NOT_REGISTERED, "Schema " + schema.getFullName()
                + " is not registered under subject '" + subject + "' and auto-registration is off, so nothing was "
                + "written to topic '" + topic + "'. The subject's compatibility level is " + check.level()
                + " and the schema would pass it: register it (POST /subjects/" + subject + "/versions) or enable "
                + "autoRegister");
    }

    @SuppressWarnings("unchecked")
    private DatumWriter<Object> writer(Object value, Schema schema) {
        if (value instanceof SpecificRecord) {
            return specificWriters.computeIfAbsent(schema, s -> {
                SpecificClasses.trust(value.getClass());
                return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(s,
                        SpecificData.getForClass(value.getClass()));
            });
        }
        return genericWriters.computeIfAbsent(schema, s -> new GenericDatumWriter<>(s, GenericData.get()));
    }

    private static final Map<Class<?>, Schema> PRIMITIVES = Map.of(
            Boolean.class, Schema.create(Schema.Type.BOOLEAN),
            Integer.class, Schema.create(Schema.Type.INT),
            Long.class, Schema.create(Schema.Type.LONG),
            Float.class, Schema.create(Schema.Type.FLOAT),
            Double.class, Schema.create(Schema.Type.DOUBLE),
            String.class, Schema.create(Schema.Type.STRING),
            byte[].class, Schema.create(Schema.Type.BYTES));

    /** The schema a value is written with: its own for Avro containers, the primitive's for primitives. */
    static Schema schemaOf(Object value) {
        if (value instanceof GenericContainer c) {
            return c.getSchema();
        }
        Schema primitive = PRIMITIVES.get(value.getClass());
        if (primitive != null) {
            return primitive;
        }
        if (value instanceof CharSequence) {
            return PRIMITIVES.get(String.class);
        }
        if (value instanceof ByteBuffer) {
            return PRIMITIVES.get(byte[].class);
        }
        throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot serialize a "
                + value.getClass().getName() + " as Avro: use a GenericRecord, a generated SpecificRecord class, or a "
                + "primitive (Boolean, Integer, Long, Float, Double, String, byte[])");
    }
}
