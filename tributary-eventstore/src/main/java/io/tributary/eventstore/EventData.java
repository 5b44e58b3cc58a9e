package io.tributary.eventstore;

import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * An event to append: its id (the idempotency key), its type, its payload and its metadata. Metadata is a set of
 * headers; correlation id, causation id and {@code traceparent} use the {@link StandardHeaders standard names}.
 * Immutable and thread-safe; the payload is copied in and out.
 *
 * @param eventId  unique id; re-appending the same ids at the same position is a no-op success
 * @param type     event type name, e.g. {@code OrderPlaced}; 1 to 200 characters
 * @param data     payload bytes (any encoding; JSON and Avro are common)
 * @param metadata headers stored with the event
 */
public record EventData(UUID eventId, String type, byte[] data, Headers metadata) {

    public static final int MAX_TYPE_LENGTH = 200;

    public EventData {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metadata, "metadata");
        if (type.isBlank() || type.length() > MAX_TYPE_LENGTH) {
            throw new InvalidRequestException(EventStoreErrors.INVALID_EVENT, "Event type '" + type
                    + "' must be 1 to " + MAX_TYPE_LENGTH + " characters; name it after what happened, e.g. 'OrderPlaced'.");
        }
        data = data.clone();
    }

    /** A new event with a fresh UUIDv7 id and no metadata. */
    public static EventData of(String type, byte[] data) {
        return new EventData(UuidV7.next(), type, data, Headers.empty());
    }

    /** A new event with a fresh UUIDv7 id. */
    public static EventData of(String type, byte[] data, Headers metadata) {
        return new EventData(UuidV7.next(), type, data, metadata);
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The payload without a copy, for backends; callers must not modify it. */
    public byte[] dataUnsafe() {
        return data;
    }

    public EventData withMetadata(Headers newMetadata) {
        return new EventData(eventId, type, data, newMetadata);
    }

    /** A copy whose correlation id header is {@code correlationId}. */
    public EventData withCorrelationId(String correlationId) {
        return withMetadata(metadata.withReplaced(StandardHeaders.CORRELATION_ID, correlationId));
    }

    /** A copy whose causation id header is {@code causationId} (usually the id of the command or event that caused it). */
    public EventData withCausationId(String causationId) {
        return withMetadata(metadata.withReplaced(StandardHeaders.CAUSATION_ID, causationId));
    }

    /** A copy carrying the W3C {@code traceparent} of the producing span. */
    public EventData withTraceparent(String traceparent) {
        return withMetadata(metadata.withReplaced(StandardHeaders.TRACEPARENT, traceparent));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventData e && eventId.equals(e.eventId) && type.equals(e.type)
                && Arrays.equals(data, e.data) && metadata.equals(e.metadata);
    }

    @Override
    public int hashCode() {
        return eventId.hashCode();
    }

    @Override
    public String toString() {
        return "EventData[" + type + ", id=" + eventId + ", " + data.length + "B]";
    }
}
