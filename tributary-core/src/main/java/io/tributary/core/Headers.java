package io.tributary.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The ordered headers of a record. Names may repeat; {@link #lastValue(String)} returns the last one, as Kafka's
 * {@code Headers.lastHeader} does.
 *
 * <p>Immutable and thread-safe. {@code with*} methods return a new instance.
 */
public final class Headers {

    private static final Headers EMPTY = new Headers(List.of());

    private final List<Header> headers;

    private Headers(List<Header> headers) {
        this.headers = headers;
    }

    public static Headers empty() {
        return EMPTY;
    }

    public static Headers of(List<Header> headers) {
        Objects.requireNonNull(headers, "headers");
        return headers.isEmpty() ? EMPTY : new Headers(List.copyOf(headers));
    }

    public static Headers of(Header... headers) {
        return of(List.of(headers));
    }

    /** Every header, in order. */
    public List<Header> all() {
        return headers;
    }

    /** Every header with this name, in order. */
    public List<Header> all(String name) {
        List<Header> out = new ArrayList<>();
        for (Header h : headers) {
            if (h.name().equals(name)) {
                out.add(h);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** The value of the last header with this name. */
    public Optional<byte[]> lastValue(String name) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).name().equals(name)) {
                return Optional.of(headers.get(i).value());
            }
        }
        return Optional.empty();
    }

    /** The value of the last header with this name, decoded as UTF-8 (straight from the header, with no copy). */
    public Optional<String> lastString(String name) {
        for (int i = headers.size() - 1; i >= 0; i--) {
            if (headers.get(i).name().equals(name)) {
                return Optional.of(headers.get(i).valueAsString());
            }
        }
        return Optional.empty();
    }

    /** A copy with {@code header} appended. */
    public Headers with(Header header) {
        List<Header> copy = new ArrayList<>(headers.size() + 1);
        copy.addAll(headers);
        copy.add(header);
        return new Headers(List.copyOf(copy));
    }

    /** A copy with a UTF-8 header appended. */
    public Headers with(String name, String value) {
        return with(Header.ofString(name, value));
    }

    /** A copy where every header named {@code name} is replaced by one header with {@code value}, appended last. */
    public Headers withReplaced(String name, String value) {
        List<Header> copy = new ArrayList<>(headers.size() + 1);
        for (Header h : headers) {
            if (!h.name().equals(name)) {
                copy.add(h);
            }
        }
        copy.add(Header.ofString(name, value));
        return new Headers(List.copyOf(copy));
    }

    /** A copy with the header set only if no header of that name is present. */
    public Headers withIfAbsent(String name, String value) {
        return lastValue(name).isPresent() ? this : with(name, value);
    }

    public int size() {
        return headers.size();
    }

    public boolean isEmpty() {
        return headers.isEmpty();
    }

    /**
     * Total of {@link Header#sizeInBytes()} over all headers, capped at {@link Integer#MAX_VALUE}: a total that large
     * is over every size limit anyway, and an {@code int} sum would wrap to a small or negative size there (one big
     * header instance repeated in the list is enough) and pass the limits it must fail.
     */
    public int sizeInBytes() {
        long size = 0;
        for (Header h : headers) {
            size += h.sizeInBytes();
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    // ---- typed accessors for the standard headers ----

    /** {@link StandardHeaders#EVENT_ID}, parsed; an unparsable value is a bad-input error naming the header. */
    public Optional<UUID> eventId() {
        return lastString(StandardHeaders.EVENT_ID).map(v -> parseUuid(StandardHeaders.EVENT_ID, v));
    }

    public Optional<String> eventType() {
        return lastString(StandardHeaders.EVENT_TYPE);
    }

    public Optional<String> contentType() {
        return lastString(StandardHeaders.CONTENT_TYPE);
    }

    /** {@link StandardHeaders#SCHEMA_ID}, parsed as a decimal integer. */
    public OptionalLong schemaId() {
        Optional<String> raw = lastString(StandardHeaders.SCHEMA_ID);
        if (raw.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(raw.get()));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException(ErrorCode.INVALID_HEADER,
                    "Header '" + StandardHeaders.SCHEMA_ID + "' holds '" + raw.get()
                            + "', which is not a decimal schema id; write the id the schema registry returned.");
        }
    }

    public Optional<String> correlationId() {
        return lastString(StandardHeaders.CORRELATION_ID);
    }

    public Optional<String> causationId() {
        return lastString(StandardHeaders.CAUSATION_ID);
    }

    public Optional<String> traceparent() {
        return lastString(StandardHeaders.TRACEPARENT);
    }

    private static UUID parseUuid(String name, String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(ErrorCode.INVALID_HEADER,
                    "Header '" + name + "' holds '" + value + "', which is not a UUID; write ids with UuidV7.next().");
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Headers other && headers.equals(other.headers);
    }

    @Override
    public int hashCode() {
        return headers.hashCode();
    }

    @Override
    public String toString() {
        return headers.toString();
    }
}
