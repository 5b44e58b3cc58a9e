package io.tributary.eventstore;

import io.tributary.core.ConflictException;

/** The stream was hard-deleted (tombstoned): it cannot be read or written, and its name cannot be reused. */
public final class StreamDeletedException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final String stream;

    public StreamDeletedException(String stream) {
        super(EventStoreErrors.STREAM_DELETED, "Stream '" + stream + "' was hard-deleted (tombstoned); its name can "
                + "never be used again. Write to a new stream name, e.g. '" + stream + "-v2'.");
        this.stream = stream;
    }

    public String stream() {
        return stream;
    }
}
