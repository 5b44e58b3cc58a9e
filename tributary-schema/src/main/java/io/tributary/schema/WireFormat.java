package io.tributary.schema;

import io.tributary.core.InvalidRequestException;

/**
 * The Confluent wire format of a serialized value: byte 0 is the magic byte {@code 0x00}, bytes 1–4 the schema id
 * (signed 32-bit, big-endian), then the Avro binary encoding of the value with that schema.
 * <pre>
 * +------+------+------+------+------+---------------------------+
 * | 0x00 |        schema id (big-endian int32)   | Avro binary ...           |
 * +------+------+------+------+------+---------------------------+
 *   0      1      2      3      4      5
 * </pre>
 * There is no checksum: integrity is the log's job (its records are checksummed).
 */
public final class WireFormat {

    public static final byte MAGIC_BYTE = 0;
    public static final int HEADER_SIZE = 5;
    /** The content type Tributary writes in {@link io.tributary.core.StandardHeaders#CONTENT_TYPE}. */
    public static final String CONTENT_TYPE = "application/vnd.apache.avro+binary";

    private WireFormat() {
    }

    /** Whether {@code bytes} start like a wire-format value (magic byte and room for an id). */
    public static boolean looksLikeWireFormat(byte[] bytes) {
        return bytes.length >= HEADER_SIZE && bytes[0] == MAGIC_BYTE;
    }

    /** The schema id in the header; {@link SchemaErrors#UNKNOWN_MAGIC_BYTE} if there is no valid header. */
    public static int schemaId(byte[] bytes) {
        if (bytes.length < HEADER_SIZE) {
            throw new InvalidRequestException(SchemaErrors.UNKNOWN_MAGIC_BYTE, "Value of " + bytes.length + " bytes is "
                    + "too short for the schema registry wire format (magic byte 0 and a 4-byte schema id); it was "
                    + "not written by an Avro serializer with a schema registry");
        }
        if (bytes[0] != MAGIC_BYTE) {
            throw new InvalidRequestException(SchemaErrors.UNKNOWN_MAGIC_BYTE, "Unknown magic byte " + bytes[0]
                    + " (expected 0): the value was not written in the schema registry wire format"
                    + (bytes[0] == '{' || bytes[0] == '[' ? " (it looks like JSON)" : "")
                    + "; read it with the deserializer that matches its writer");
        }
        return ((bytes[1] & 0xff) << 24) | ((bytes[2] & 0xff) << 16) | ((bytes[3] & 0xff) << 8) | (bytes[4] & 0xff);
    }

    /** Writes the 5-byte header for {@code schemaId} at the start of {@code target}. */
    public static void writeHeader(byte[] target, int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }
}
