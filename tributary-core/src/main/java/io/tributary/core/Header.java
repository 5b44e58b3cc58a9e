package io.tributary.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One record header: a name and a byte value. Names may repeat within a record; order is kept.
 *
 * <p>Immutable and thread-safe: the value is copied on the way in and on the way out.
 *
 * @param name  non-empty header name
 * @param value header value bytes (may be empty, never null)
 */
public record Header(String name, byte[] value) {

    public Header {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_HEADER, "A header name must not be empty; give every header a name.");
        }
        value = value.clone();
    }

    /** A header whose value is the UTF-8 encoding of {@code value}. */
    public static Header ofString(String name, String value) {
        return new Header(name, value.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The value decoded as UTF-8. */
    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /**
     * Size in bytes of name (UTF-8) plus value; used for batch size accounting. Counted without encoding the name:
     * this runs for every header of every record a batch is sized by, and encoding allocated a copy each time. Capped
     * at {@link Integer#MAX_VALUE}, as {@link Headers#sizeInBytes()} is, rather than wrapping past it.
     */
    public int sizeInBytes() {
        return (int) Math.min(Integer.MAX_VALUE, utf8Length(name) + value.length);
    }

    /**
     * What {@code s.getBytes(UTF_8).length} returns, without the array (a lone surrogate encodes as '?'); a
     * {@code long}, as a name of over 715 million chars outside Latin-1 has more UTF-8 bytes than an {@code int} holds.
     */
    private static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (!Character.isSurrogate(c)) {
                n += 3;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 1;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Header h && name.equals(h.name) && Arrays.equals(value, h.value);
    }

    @Override
    public int hashCode() {
        return 31 * name.hashCode() + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return name + "=" + valueAsString();
    }
}
