package io.tributary.core;

import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a producer writes: a key, a value, headers and a timestamp. The log assigns the partition and offset.
 *
 * <p>A {@code null} key means "no key" (the record is spread over partitions); a {@code null} value is a
 * <em>tombstone</em>: on a compacted topic it deletes the key. Immutable and thread-safe. The constructor and
 * {@link #of} copy the byte arrays in, and {@link #key()}/{@link #value()} copy them out, so a caller may reuse its
 * buffers. Two doors skip a copy on a hot path: {@link #wrapping} takes arrays the caller hands over for good (no copy
 * in), and {@link #sharedKey()}/{@link #sharedValue()} lend the record's own arrays to readers that promise not to
 * modify them (no copy out).
 *
 * <p>A final class rather than a Java {@code record}: a record's every constructor runs the canonical one, which
 * must copy (callers of {@code new Record(...)} may reuse their buffers), so {@link #wrapping} could not skip the
 * copy. Accessors, {@code equals}, {@code hashCode} and {@code toString} are those a record would have.
 */
public final class Record {

    private final byte @Nullable [] key;
    private final byte @Nullable [] value;
    private final Headers headers;
    private final long timestamp;

    /**
     * A record with copies of {@code key} and {@code value}.
     *
     * @param key       key bytes, or {@code null} for none
     * @param value     value bytes, or {@code null} for a tombstone
     * @param headers   ordered headers (names may repeat)
     * @param timestamp event time in milliseconds since the epoch, {@code >= 0}
     */
    public Record(byte @Nullable [] key, byte @Nullable [] value, Headers headers, long timestamp) {
        this(headers, timestamp, key == null ? null : key.clone(), value == null ? null : value.clone());
    }

    /**
     * Takes the arrays as they are. Its parameters come in another order than the public constructor's only so that
     * the two have different signatures (both take two arrays, headers and a timestamp).
     */
    private Record(Headers headers, long timestamp, byte @Nullable [] key, byte @Nullable [] value) {
        Objects.requireNonNull(headers, "headers");
        if (timestamp < 0) {
            throw new InvalidRequestException(ErrorCode.INVALID_RECORD,
                    "Record timestamp " + timestamp + " is negative; use milliseconds since the epoch (e.g. System.currentTimeMillis()).");
        }
        this.key = key;
        this.value = value;
        this.headers = headers;
        this.timestamp = timestamp;
    }

    /** A record stamped with the current time and no headers; copies the arrays. */
    public static Record of(byte @Nullable [] key, byte @Nullable [] value) {
        return new Record(key, value, Headers.empty(), System.currentTimeMillis());
    }

    /** A record stamped with the current time; copies the arrays. */
    public static Record of(byte @Nullable [] key, byte @Nullable [] value, Headers headers) {
        return new Record(key, value, headers, System.currentTimeMillis());
    }

    /**
     * A record that takes {@code key} and {@code value} as they are, without copying: the caller hands the arrays
     * over and must never modify them afterwards (the record, and whatever log it is appended to before the append
     * returns, would see the change). Several records may share one array that nobody modifies. For producers on a
     * hot path that build a fresh array per record anyway, or send one constant payload; use {@link #of} when in
     * doubt.
     *
     * @param timestamp event time in milliseconds since the epoch, {@code >= 0}
     */
    public static Record wrapping(byte @Nullable [] key, byte @Nullable [] value, Headers headers, long timestamp) {
        return new Record(headers, timestamp, key, value);
    }

    /** {@link #wrapping(byte[], byte[], Headers, long)} stamped with the current time and no headers. */
    public static Record wrapping(byte @Nullable [] key, byte @Nullable [] value) {
        return new Record(Headers.empty(), System.currentTimeMillis(), key, value);
    }

    /** A copy of the key bytes, or {@code null} for none. */
    public byte @Nullable [] key() {
        return key == null ? null : key.clone();
    }

    /** A copy of the value bytes, or {@code null} for a tombstone. */
    public byte @Nullable [] value() {
        return value == null ? null : value.clone();
    }

    /** The ordered headers (names may repeat). */
    public Headers headers() {
        return headers;
    }

    /** Event time in milliseconds since the epoch. */
    public long timestamp() {
        return timestamp;
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

    /** The same key, value and timestamp with other headers; shares this record's arrays (both are immutable). */
    public Record withHeaders(Headers newHeaders) {
        return new Record(newHeaders, timestamp, key, value);
    }

    /**
     * Bytes of key, value and headers: what counts against size limits. Capped at {@link Integer#MAX_VALUE}: a record
     * that large is over every size limit anyway, and an {@code int} sum would wrap to a small or negative size there
     * (two arrays of 1.1 GB, say) and pass the limits it must fail.
     */
    public int sizeInBytes() {
        long size = (long) (key == null ? 0 : key.length) + (value == null ? 0 : value.length) + headers.sizeInBytes();
        return (int) Math.min(Integer.MAX_VALUE, size);
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
