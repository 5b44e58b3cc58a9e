package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import io.tributary.schema.internal.BoundedCache;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.Utf8;
import org.jspecify.annotations.Nullable;

/**
 * Reads values in the Confluent {@link WireFormat}: looks up the writer's schema by the id in the header (cached)
 * and decodes the Avro body, either as written or <b>evolved into the reader's schema</b> by Avro's schema
 * resolution: fields the reader added get their defaults, fields it removed are dropped, promotions (int→long,
 * string↔bytes…) are applied, aliases map renamed fields and types.
 *
 * <p>As with Avro and Confluent, strings inside generic records are {@link Utf8} (compare with {@code toString()});
 * a top-level string value is returned as a {@link String}, and top-level bytes as a {@code byte[]}.
 * <p>Thread-safe, from platform or virtual threads. Readers, one per (writer id, reader schema), are shared by every
 * thread and bounded ({@value #MAX_CACHED_READERS}, then dropped and rebuilt): Avro's fast reader, built on a reader's
 * first value, holds no state between values, so a reader is resolved once, not once per thread. (Kept per thread,
 * they were rebuilt, writer-schema lookup and resolution included, on every call that ran on a fresh virtual thread.)
 * A reader is shared only after it decoded its first value, so whatever Avro built lazily on that value is visible to every
 * thread that uses it. Sharing relies on Avro's fast reader, which is on by default; with
 * {@code -Dorg.apache.avro.fastread=false} Avro falls back to its resolving reader, which keeps a resolver per thread:
 * still correct, but resolved again on every fresh thread, so slower.
 * <p>Readers are keyed by the reader schema <em>instance</em> (its aliases and enum defaults shape the reader, and
 * Avro's {@code Schema.equals} ignores both): pass the same {@link Schema} instance on every call, such as a generated
 * class's or one parsed once, not one parsed per call.
 */
public final class AvroDeserializer {

    /**
     * A reader's key, comparing the reader schema by identity: Avro's {@code Schema.equals} ignores field aliases and
     * enum defaults, yet the reader built from a schema uses both, so two reader schemas equal by {@code equals} may
     * need different readers.
     */
    private record ReaderKey(int writerId, @Nullable Schema reader, boolean specific) {
        @Override
        public boolean equals(Object o) {
            return o instanceof ReaderKey k && k.writerId == writerId && k.reader == reader && k.specific == specific;
        }

        @Override
        public int hashCode() {
            return (31 * writerId + System.identityHashCode(reader)) * 2 + (specific ? 1 : 0);
        }
    }

    /** The schema of each generated class handed to us, trusted once (see {@link SpecificClasses}). */
    private static final ClassValue<Schema> SPECIFIC_SCHEMAS = new ClassValue<>() {
        @Override
        protected Schema computeValue(Class<?> type) {
            SpecificClasses.trust(type);
            return SpecificData.getForClass(type).getSchema(type);
        }
    };

    /** Readers cached; past it the cache starts over. */
    static final int MAX_CACHED_READERS = 1_000;

    private final SchemaRegistryClient client;
    private final BoundedCache<ReaderKey, DatumReader<Object>> readers = new BoundedCache<>(MAX_CACHED_READERS);

    public AvroDeserializer(SchemaRegistryClient client) {
        this.client = client;
    }

    /** Decodes with the writer's own schema: a {@code GenericRecord} for records, or a primitive. */
    public @Nullable Object deserialize(byte @Nullable [] bytes) {
        return bytes == null ? null : read(bytes, WireFormat.schemaId(bytes), null, false);
    }

    /** Decodes into {@code readerSchema}, whatever registered version wrote it. */
    public @Nullable Object deserialize(byte @Nullable [] bytes, Schema readerSchema) {
        return bytes == null ? null : read(bytes, WireFormat.schemaId(bytes), readerSchema, false);
    }

    /** Decodes into a generated class, evolving older or newer writer schemas into its schema. */
    public <T extends SpecificRecord> @Nullable T deserialize(byte @Nullable [] bytes, Class<T> type) {
        if (bytes == null) {
            return null;
        }
        return type.cast(read(bytes, WireFormat.schemaId(bytes), SPECIFIC_SCHEMAS.get(type), true));
    }

    /** The writer schema of a serialized value. */
    public Schema writerSchema(byte[] bytes) {
        return client.avroSchemaById(WireFormat.schemaId(bytes));
    }

    private Object read(byte[] bytes, int writerId, @Nullable Schema readerSchema, boolean specific) {
        ReaderKey key = new ReaderKey(writerId, readerSchema, specific);
        DatumReader<Object> known = readers.peek(key);
        DatumReader<Object> reader = known != null ? known : newReader(key);
        try {
            // An array-backed decoder holds no buffer of its own (it reads the array in place), so one per value is
            // cheaper than sharing one between threads.
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_SIZE,
                    bytes.length - WireFormat.HEADER_SIZE, null);
            Object value = reader.read(null, decoder);
            if (known == null) {
                readers.publish(key, reader);
            }
            return value instanceof Utf8 u ? u.toString() : value instanceof ByteBuffer b ? toArray(b) : value;
        } catch (org.apache.avro.AvroTypeException e) {
            if (readerSchema == null) {
                throw damaged(writerId, null, e);
            }
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Reader schema "
                    + readerSchema.getFullName() + " cannot read data written with schema id " + writerId + ": "
                    + e.getMessage() + "; give the reader's new fields defaults (aliases for renamed ones), or "
                    + "convert old events with an EventUpcaster step", e);
        } catch (IOException | RuntimeException e) {
            throw damaged(writerId, readerSchema, e);
        }
    }

    private static InvalidRequestException damaged(int writerId, @Nullable Schema readerSchema, Exception e) {
        return new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot decode a value written with "
                + "schema id " + writerId + (readerSchema == null ? "" : " into reader schema "
                + readerSchema.getFullName()) + ": " + e + "; the bytes are damaged or were not written with "
                + "that schema", e);
    }

    private static byte[] toArray(ByteBuffer b) {
        // The decoder reads top-level bytes into a fresh array of their exact length: hand that array over.
        if (b.hasArray() && b.arrayOffset() == 0 && b.position() == 0 && b.remaining() == b.array().length) {
            return b.array();
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private DatumReader<Object> newReader(ReaderKey key) {
        Schema writer = client.avroSchemaById(key.writerId());
        Schema reader = key.reader() == null ? writer : key.reader();
        if (key.specific()) {
            return (DatumReader<Object>) (DatumReader<?>) new SpecificDatumReader<>(writer, reader);
        }
        return new GenericDatumReader<>(writer, reader, GenericData.get());
    }
}
