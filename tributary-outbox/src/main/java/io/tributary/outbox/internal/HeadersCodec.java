package io.tributary.outbox.internal;

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
 * Encodes headers into the outbox's {@code headers} column.
 *
 * <pre>
 *  0        1                 5
 *  +--------+-----------------+----------------------------------------------+
 *  | ver=1  | count (int32 BE)| count x entry                                 |
 *  +--------+-----------------+----------------------------------------------+
 *  entry: name length (uint16 BE) | name (UTF-8) | value length (int32 BE) | value bytes
 * </pre>
 * No checksum: the database guards the bytes. The version byte lets a later layout coexist with stored rows.
 */
public final class HeadersCodec {

    private static final byte VERSION = 1;

    private HeadersCodec() {
    }

    public static byte[] encode(Headers headers) {
        int size = 5;
        List<byte[]> names = new ArrayList<>(headers.size());
        for (Header h : headers.all()) {
            byte[] n = h.name().getBytes(StandardCharsets.UTF_8);
            names.add(n);
            size += 2 + n.length + 4 + h.value().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.put(VERSION).putInt(headers.size());
        int i = 0;
        for (Header h : headers.all()) {
            byte[] n = names.get(i++);
            byte[] v = h.value();
            buf.putShort((short) n.length).put(n).putInt(v.length).put(v);
        }
        return buf.array();
    }

    public static Headers decode(byte[] bytes, long rowId) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            byte version = buf.get();
            if (version != VERSION) {
                throw corrupt(rowId, "unknown headers layout version " + version);
            }
            int count = buf.getInt();
            List<Header> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                byte[] n = new byte[Short.toUnsignedInt(buf.getShort())];
                buf.get(n);
                byte[] v = new byte[buf.getInt()];
                buf.get(v);
                out.add(new Header(new String(n, StandardCharsets.UTF_8), v));
            }
            return Headers.of(out);
        } catch (BufferUnderflowException | NegativeArraySizeException e) {
            throw corrupt(rowId, "headers are truncated");
        }
    }

    private static CorruptionException corrupt(long rowId, String what) {
        return new CorruptionException(ErrorCode.CORRUPT_DATA, "Outbox row " + rowId + ": " + what
                + "; the row was not written by this version of Tributary or was altered. Inspect it, then skip it with "
                + "'OutboxAdmin.skip(" + rowId + ")'.");
    }
}
