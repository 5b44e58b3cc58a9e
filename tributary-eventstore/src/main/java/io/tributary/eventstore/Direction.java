package io.tributary.eventstore;

/** Which way to read a stream. */
public enum Direction {
    /** Ascending versions from the start version. */
    FORWARD,
    /** Descending versions from the start version ({@link Long#MAX_VALUE} = from the end). */
    BACKWARD
}
