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

    /** Size in bytes of name (UTF-8) plus value; used for batch size accounting. */
    public int sizeInBytes() {
        return name.getBytes(StandardCharsets.UTF_8).length + value.length;
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
