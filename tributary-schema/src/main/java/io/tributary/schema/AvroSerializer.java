package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.schema.internal.BoundedCache;
import io.tributary.schema.internal.BoundedPool;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
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
 * <p><b>Speed.</b> After the first value, the id comes from a cache keyed by topic and schema instance, and the writer
 * from a cache keyed by schema; both are shared by every thread (writers are stateless). Ids are cached for up to
 * {@value #MAX_CACHED_IDS} (topic, schema) pairs and writers for up to {@value #MAX_CACHED_SCHEMAS} schemas; past
 * that a cache is dropped and rebuilt. A schema instance the cache has not seen is looked up by its full text
 * ({@code Schema.toString()}, doc and aliases included), so a caller that parses the same schema again per value still
 * resolves its id once, while a schema that differs only in doc, aliases or an enum default gets its own id (Avro's
 * {@code Schema.equals} ignores those, the registry does not). Values are encoded into buffers lent from a small
 * pool, not kept per thread: callers that run each call on a fresh virtual thread would otherwise build a buffer and a
 * 2 KB encoder on every call. A buffer also remembers the last (topic, schema instance) it wrote and skips both cache
 * lookups while they repeat. The cost over plain Avro encoding is the 5-byte header.
 * <p>Thread-safe, from platform or virtual threads. A value that fails to serialize leaves nothing behind: the buffer
 * it was encoded into is not reused.
 */
public final class AvroSerializer {

    /** A buffer grows to its largest value; past this it is dropped after use, so it does not stay pinned. */
    private static final int RETAINED_BUFFER_BYTES = 1 << 20;
    /** Schemas whose writer is cached; past it the cache starts over. */
    static final int MAX_CACHED_SCHEMAS = 1_000;
    /** (Topic, schema) pairs whose id is cached, in each of the two id caches; past it that cache starts over. */
    static final int MAX_CACHED_IDS = 10_000;

    private final SchemaRegistryClient client;
    private final AvroSerdeConfig config;
    private final BoundedCache<SchemaInstance, Integer> idsByInstance = new BoundedCache<>(MAX_CACHED_IDS);
    private final BoundedCache<SchemaContent, Integer> idsByText = new BoundedCache<>(MAX_CACHED_IDS);
    private final BoundedCache<Schema, DatumWriter<Object>> genericWriters = new BoundedCache<>(MAX_CACHED_SCHEMAS);
    private final BoundedCache<Schema, DatumWriter<Object>> specificWriters = new BoundedCache<>(MAX_CACHED_SCHEMAS);
    private final BoundedPool<EncodeState> states = BoundedPool.perProcessor(EncodeState::new);

    /**
     * A schema instance on a topic, compared by identity: {@code Schema.equals} ignores doc, aliases and enum defaults,
     * so it would hand a schema the id of another that the registry tells apart.
     */
    private record SchemaInstance(String topic, Schema schema) {
        @Override
        public boolean equals(Object o) {
            return o instanceof SchemaInstance k && k.schema == schema && k.topic.equals(topic);
        }

        @Override
        public int hashCode() {
            return 31 * topic.hashCode() + System.identityHashCode(schema);
        }
    }

    /** A schema's full text on a topic: equal iff the registry sees the same schema (it compares this text too). */
    private record SchemaContent(String topic, String text) {
    }

    /**
     * What one call at a time borrows: the output buffer and encoder, and the id and writer of the last
     * (topic, schema) encoded with it, so a stream of values of one schema to one topic skips both cache lookups.
     */
    private static final class EncodeState {
        final Output out = new Output();
        final BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        @Nullable String lastTopic;
        @Nullable Schema lastSchema;
        boolean lastSpecific;
        int lastId;
        @Nullable DatumWriter<Object> lastWriter;
    }

    /** An unsynchronized growable byte array: {@link ByteArrayOutputStream} locks on every write. */
    private static final class Output extends OutputStream {
        byte[] buf = new byte[256];
        int size;

        @Override
        public void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, size, len);
            size += len;
        }

        private void ensure(int more) {
            if (size + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
            }
        }
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
        boolean specific = value instanceof SpecificRecord;
        EncodeState state = states.take();
        int id;
        DatumWriter<Object> writer = state.lastWriter;
        if (writer != null && state.lastSchema == schema && state.lastSpecific == specific
                && topic.equals(state.lastTopic)) {
            id = state.lastId;
        } else {
            try {
                id = schemaId(topic, schema);
                writer = writer(value, schema);
            } catch (RuntimeException e) {
                states.give(state);   // nothing was encoded into it
                throw e;
            }
            state.lastTopic = topic;
            state.lastSchema = schema;
            state.lastSpecific = specific;
            state.lastId = id;
            state.lastWriter = writer;
        }
        Output out = state.out;
        out.size = 0;
        out.ensure(WireFormat.HEADER_SIZE);
        WireFormat.writeHeader(out.buf, id);
        out.size = WireFormat.HEADER_SIZE;
        try {
            writer.write(value instanceof byte[] raw ? ByteBuffer.wrap(raw) : value, state.encoder);
            state.encoder.flush();
        } catch (IOException | RuntimeException e) {
            // The encoder may still hold the bytes encoded before the failure: the state is not given back, so they
            // never reach another value.
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot serialize a "
                    + value.getClass().getName() + " for topic '" + topic + "' with schema " + schema.getFullName()
                    + " (id " + id + "): " + e.getMessage() + "; check that the value matches its schema", e);
        }
        byte[] result = Arrays.copyOf(out.buf, out.size);
        if (out.buf.length > RETAINED_BUFFER_BYTES) {
            out.buf = new byte[256];
        }
        states.give(state);
        return result;
    }

    /** Encoding states made so far (the pool had none free): see {@link BoundedPool#made()}. */
    long encodeStatesMade() {
        return states.made();
    }

    /**
     * The id of {@code schema} for {@code topic}: cached, else registered or looked up as the config says.
     */
    public int schemaId(String topic, Schema schema) {
        SchemaInstance instance = new SchemaInstance(topic, schema);
        Integer id = idsByInstance.peek(instance);
        if (id != null) {
            return id;
        }
        // Rendered once per unseen instance: cheap next to the parse that made the instance.
        SchemaContent content = new SchemaContent(topic, schema.toString());
        Integer known = idsByText.peek(content);
        int resolved = known != null ? known : idsByText.publish(content, resolveId(topic, schema, content.text()));
        return idsByInstance.publish(instance, resolved);
    }

    private int resolveId(String topic, Schema schema, String schemaText) {
        String subject = config.subjectStrategy().subject(topic, config.key(), schema);
        SchemaText text = SchemaText.avro(schemaText);
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
            return specificWriters.get(schema, s -> {
                SpecificClasses.trust(value.getClass());
                return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(s,
                        SpecificData.getForClass(value.getClass()));
            });
        }
        return genericWriters.get(schema, s -> new GenericDatumWriter<>(s, GenericData.get()));
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
