package io.tributary.eventstore;

import java.util.Arrays;
import java.util.Objects;

/**
 * An aggregate's state stored at a stream version, so loading reads only the events after it.
 *
 * @param stream     the stream it summarises
 * @param version    the last stream version folded into the state
 * @param type       the state's type name (to pick a decoder, and to ignore snapshots of an old shape)
 * @param data       the encoded state
 * @param recordedAt when it was stored, ms since the epoch
 */
public record Snapshot(String stream, long version, String type, byte[] data, long recordedAt) {

    public Snapshot {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(data, "data");
        if (version < 0) {
            throw new IllegalArgumentException("A snapshot's version must be 0 or more, was " + version);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && version == s.version && stream.equals(s.stream) && type.equals(s.type)
                && Arrays.equals(data, s.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(stream, version);
    }

    @Override
    public String toString() {
        return "Snapshot[" + stream + "@" + version + ", " + type + ", " + data.length + "B]";
    }
}
