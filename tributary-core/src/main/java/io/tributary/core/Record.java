package io.tributary.core;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a producer writes: a key, a value, headers and a timestamp. The log assigns the partition and offset.
 *
 * <p>A {@code null} key means "no key" (the record is spread over partitions); a {@code null} value is a
 * <em>tombstone</em>: on a compacted topic it deletes the key. Immutable and thread-safe; byte arrays are copied in
 * and out, so a caller may reuse its buffers ({@link #sharedKey()} and {@link #sharedValue()} skip the copy out, for
 * readers that promise not to modify).
 *
 * @param key       key bytes, or {@code null} for none
 * @param value     value bytes, or {@code null} for a tombstone
 * @param headers   ordered headers (names may repeat)
 * @param timestamp event time in milliseconds since the epoch, {@code >= 0}
 */
public record Record(byte @Nullable [] key, byte @Nullable [] value, Headers headers, long timestamp) {

    public Record {
        Objects.requireNonNull(headers, "headers");
        if (timestamp < 0) {
            throw new InvalidRequestException(ErrorCode.INVALID_RECORD,
                    "Record timestamp " + timestamp + " is negative; use milliseconds since the epoch (e.g. System.currentTimeMillis()).");
        }
        key = key == null ? null : key.clone();
        value = value == null ? null : value.clone();
    }

    /** A record stamped with the current time and no headers. */
    public static Record of(byte @Nullable [] key, byte @Nullable [] value) {
        return new Record(key, value, Headers.empty(), System.currentTimeMillis());
    }

    /** A record stamped with the current time. */
    public static Record of(byte @Nullable [] key, byte @Nullable [] value, Headers headers) {
        return new Record(key, value, headers, System.currentTimeMillis());
    }

    @Override
    public byte @Nullable [] key() {
        return key == null ? null : key.clone();
    }

    @Override
    public byte @Nullable [] value() {
        return value == null ? null : value.clone();
    }

    /**
     * The key array itself, not a copy: for code on a hot path that only reads it, such as a log backend handing it
     * to a client that copies it into its own buffer before returning. Never modify the returned array; doing so
     * would change this record (and any other holder of it). Use {@link #key()} when in doubt.
     */
    public byte @Nullable [] sharedKey() {
        return key;
    }

    /**
     * The value array itself, not a copy: for code on a hot path that only reads it, such as a log backend handing it
     * to a client that copies it into its own buffer before returning (one copy less per record than
     * {@link #value()}). Never modify the returned array; doing so would change this record (and any other holder of
     * it). Use {@link #value()} when in doubt.
     */
    public byte @Nullable [] sharedValue() {
        return value;
    }

    public boolean isTombstone() {
        return value == null;
    }

    public Record withHeaders(Headers newHeaders) {
        return new Record(key, value, newHeaders, timestamp);
    }

    /** Bytes of key, value and headers: what counts against size limits. */
    public int sizeInBytes() {
        return (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + headers.sizeInBytes();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Record r && timestamp == r.timestamp && Arrays.equals(key, r.key)
                && Arrays.equals(value, r.value) && headers.equals(r.headers);
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(key), Arrays.hashCode(value), headers, timestamp);
    }

    @Override
    public String toString() {
        return "Record[key=" + (key == null ? "null" : key.length + "B") + ", value="
                + (value == null ? "tombstone" : value.length + "B") + ", headers=" + headers.size()
                + ", timestamp=" + timestamp + "]";
    }
}
