package io.tributary.projection;

/** The live worker's state. */
public enum ProjectionState {
    /** Applying events (or waiting for new ones). */
    RUNNING,
    /** Stopped by {@link Projection#close()}, or briefly while a rebuild switches over. */
    STOPPED,
    /** Stopped after a batch failed its last attempt; see {@link Projection#failure()}. */
    FAILED
}
