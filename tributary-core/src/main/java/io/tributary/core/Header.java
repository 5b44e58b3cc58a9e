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
        int lone = loneSurrogateAt(name);
        if (lone >= 0) {
            // Names are stored as UTF-8, which has no encoding for half a surrogate pair: Java would write '?' in its
            // place and the record would come back with another header name than the one appended.
            throw new InvalidRequestException(ErrorCode.INVALID_HEADER, "Header name '" + name + "' has an unpaired "
                    + "surrogate (\\u" + Integer.toHexString(name.charAt(lone)).toUpperCase(java.util.Locale.ROOT)
                    + ") at index " + lone + "; header names are stored as UTF-8, which cannot hold it. Use a name"
                    + " of whole characters (a string cut in the middle of a surrogate pair, e.g. by substring, is"
                    + " the usual cause).");
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
     * What {@code s.getBytes(UTF_8).length} returns, without the array (names never hold a lone surrogate); a
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
            } else {
                n += 4; // a pair: the constructor refused a lone surrogate
                i++;
            }
        }
        return n;
    }

    /** The index of the first surrogate char in {@code s} that is not part of a high-low pair, or -1. */
    private static int loneSurrogateAt(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (!Character.isHighSurrogate(c) || i + 1 == s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return i;
                }
                i++;
            }
        }
        return -1;
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
