package io.tributary.eventstore;

import io.tributary.core.ConflictException;
import java.util.UUID;

/**
 * An appended event's id was already written at a different position (another stream, another version, or only part
 * of the batch). A retry of the very same append at the same position is not an error: it succeeds without
 * duplicates. Nothing was written.
 */
public final class DuplicateEventIdException extends ConflictException {

    private static final long serialVersionUID = 1L;

    private final String stream;
    private final UUID eventId;

    public DuplicateEventIdException(String stream, UUID eventId, String detail) {
        super(EventStoreErrors.DUPLICATE_EVENT_ID, "Append to stream '" + stream + "' reuses event id " + eventId
                + ", " + detail + ". An event id may be written once; give new events new ids (UuidV7.next()), "
                + "and retry an append only with exactly the same events and expected version.");
        this.stream = stream;
        this.eventId = eventId;
    }

    public String stream() {
        return stream;
    }

    public UUID eventId() {
        return eventId;
    }
}
