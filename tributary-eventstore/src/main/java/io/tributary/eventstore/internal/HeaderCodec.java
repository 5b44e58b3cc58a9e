package io.tributary.eventstore.internal;

import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.Header;
import io.tributary.core.Headers;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Encodes event metadata (headers) into bytes for storage. Stateless and thread-safe.
 *
 * <pre>
 * +---------+-----------+------------------------------------------------------------+
 * | version | count     | count x ( nameLen u16 | name UTF-8 | valueLen i32 | value ) |
 * | 1 byte  | i32       |                                                            |
 * +---------+-----------+------------------------------------------------------------+
 * </pre>
 * Version 1 is the only format. No checksum here: the containing record (log record or database row) has its own.
 * Empty headers encode as zero bytes.
 */
public final class HeaderCodec {

    private static final byte VERSION = 1;
    private static final byte[] EMPTY = new byte[0];

    private HeaderCodec() {
    }

    public static byte[] encode(Headers headers) {
        if (headers.isEmpty()) {
            return EMPTY;
        }
        int size = 1 + 4;
        List<byte[]> names = new ArrayList<>(headers.size());
        for (Header h : headers.all()) {
            byte[] name = h.name().getBytes(StandardCharsets.UTF_8);
            names.add(name);
            size += 2 + name.length + 4 + h.value().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(VERSION).putInt(headers.size());
        int i = 0;
        for (Header h : headers.all()) {
            byte[] name = names.get(i++);
            byte[] value = h.value();
            buf.putShort((short) name.length).put(name).putInt(value.length).put(value);
        }
        return buf.array();
    }

    public static Headers decode(byte[] bytes) {
        if (bytes.length == 0) {
            return Headers.empty();
        }
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            byte version = buf.get();
            if (version != VERSION) {
                throw new CorruptionException(ErrorCode.CORRUPT_DATA, "Event metadata has format version " + version
                        + ", this build reads version " + VERSION + "; upgrade Tributary to read this store.");
            }
            int count = buf.getInt();
            List<Header> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte[] name = new byte[Short.toUnsignedInt(buf.getShort())];
                buf.get(name);
                byte[] value = new byte[buf.getInt()];
                buf.get(value);
                out.add(new Header(new String(name, StandardCharsets.UTF_8), value));
            }
            return Headers.of(out);
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw new CorruptionException(ErrorCode.CORRUPT_DATA,
                    "Event metadata of " + bytes.length + " bytes is truncated; restore the store from a backup.", e);
        }
    }
}
