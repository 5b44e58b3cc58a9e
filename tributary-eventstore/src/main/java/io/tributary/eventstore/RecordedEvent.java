package io.tributary.eventstore;

import io.tributary.core.Headers;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * An event as stored. Immutable and thread-safe; for speed the payload array is not copied, treat it as read-only.
 *
 * @param stream     the stream it belongs to
 * @param version    its version in the stream (0, 1, 2, … without gaps)
 * @param position   its global position: unique, increasing in {@code $all} order, not dense
 * @param eventId    the id given at append
 * @param type       the event type
 * @param data       payload bytes
 * @param metadata   headers given at append
 * @param recordedAt when the store recorded it, milliseconds since the epoch (the store's clock)
 */
public record RecordedEvent(String stream, long version, long position, UUID eventId, String type, byte[] data,
                            Headers metadata, long recordedAt) {

    public RecordedEvent {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(metadata, "metadata");
    }

    public String category() {
        return StreamName.categoryOf(stream);
    }

    public Instant recordedInstant() {
        return Instant.ofEpochMilli(recordedAt);
    }

    public Optional<String> correlationId() {
        return metadata.correlationId();
    }

    public Optional<String> causationId() {
        return metadata.causationId();
    }

    public Optional<String> traceparent() {
        return metadata.traceparent();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordedEvent r && version == r.version && position == r.position
                && recordedAt == r.recordedAt && stream.equals(r.stream) && eventId.equals(r.eventId)
                && type.equals(r.type) && Arrays.equals(data, r.data) && metadata.equals(r.metadata);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(position);
    }

    @Override
    public String toString() {
        return "RecordedEvent[" + stream + "@" + version + ", pos=" + position + ", " + type + ", id=" + eventId + "]";
    }
}
