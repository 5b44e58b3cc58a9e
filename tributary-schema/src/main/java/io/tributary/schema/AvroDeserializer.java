package io.tributary.schema;

import io.tributary.core.InvalidRequestException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Thread-safe; readers are cached per (writer id, reader schema).
 */
public final class AvroDeserializer {

    private record ReaderKey(int writerId, @Nullable Schema reader, boolean specific) {
    }

    private final SchemaRegistryClient client;
    private final Map<ReaderKey, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private final ThreadLocal<@Nullable BinaryDecoder> decoders = new ThreadLocal<>();

    public AvroDeserializer(SchemaRegistryClient client) {
        this.client = client;
    }

    /** Decodes with the writer's own schema: a {@code GenericRecord} for records, or a primitive. */
    public @Nullable Object deserialize(byte @Nullable [] bytes) {
        return bytes == null ? null : read(bytes, new ReaderKey(WireFormat.schemaId(bytes), null, false));
    }

    /** Decodes into {@code readerSchema}, whatever registered version wrote it. */
    public @Nullable Object deserialize(byte @Nullable [] bytes, Schema readerSchema) {
        return bytes == null ? null : read(bytes, new ReaderKey(WireFormat.schemaId(bytes), readerSchema, false));
    }

    /** Decodes into a generated class, evolving older or newer writer schemas into its schema. */
    public <T extends SpecificRecord> @Nullable T deserialize(byte @Nullable [] bytes, Class<T> type) {
        if (bytes == null) {
            return null;
        }
        SpecificClasses.trust(type);
        Schema reader = SpecificData.getForClass(type).getSchema(type);
        return type.cast(read(bytes, new ReaderKey(WireFormat.schemaId(bytes), reader, true)));
    }

    /** The writer schema of a serialized value. */
    public Schema writerSchema(byte[] bytes) {
        return client.avroSchemaById(WireFormat.schemaId(bytes));
    }

    private Object read(byte[] bytes, ReaderKey key) {
        DatumReader<Object> reader = readers.computeIfAbsent(key, this::newReader);
        try {
            BinaryDecoder reuse = decoders.get();
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_SIZE,
                    bytes.length - WireFormat.HEADER_SIZE, reuse);
            if (decoder != reuse) {
                decoders.set(decoder);
            }
            Object value = reader.read(null, decoder);
            return value instanceof Utf8 u ? u.toString() : value instanceof ByteBuffer b ? toArray(b) : value;
        } catch (org.apache.avro.AvroTypeException e) {
            if (key.reader() == null) {
                throw damaged(key, e);
            }
            throw new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Reader schema "
                    + key.reader().getFullName() + " cannot read data written with schema id " + key.writerId() + ": "
                    + e.getMessage() + "; give the reader's new fields defaults (aliases for renamed ones), or "
                    + "convert old events with an EventUpcaster step", e);
        } catch (IOException | RuntimeException e) {
            throw damaged(key, e);
        }
    }

    private static InvalidRequestException damaged(ReaderKey key, Exception e) {
        return new InvalidRequestException(SchemaErrors.SERIALIZATION_FAILED, "Cannot decode a value written with "
                + "schema id " + key.writerId() + (key.reader() == null ? "" : " into reader schema "
                + key.reader().getFullName()) + ": " + e + "; the bytes are damaged or were not written with "
                + "that schema", e);
    }

    private static byte[] toArray(ByteBuffer b) {
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
