package io.tributary.eventstore;

/**
 * A stream's state.
 *
 * @param stream      the name
 * @param lastVersion last version written, or {@link #NO_STREAM} if it never existed or is soft-deleted
 * @param state       whether it exists, is soft-deleted or tombstoned
 */
public record StreamInfo(String stream, long lastVersion, State state) {

    /** The version of a stream that does not exist. */
    public static final long NO_STREAM = -1L;

    public enum State {
        /** Never written (or only metadata set). */
        ABSENT,
        /** Has events. */
        ACTIVE,
        /** Soft-deleted: reads see nothing; the next append recreates it, continuing the version numbers. */
        SOFT_DELETED,
        /** Hard-deleted: a tombstone; reads and appends fail, the name is never reusable. */
        TOMBSTONED
    }

    public boolean exists() {
        return state == State.ACTIVE;
    }
}
