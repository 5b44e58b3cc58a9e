package io.tributary.processing;

/**
 * The life of a {@link Processor}: RUNNING, then STOPPING, then STOPPED or FAILED, in that order and never back.
 * Read it from any thread; it is in memory only.
 */
public enum ProcessorState {
    /** Fetching and handling events. */
    RUNNING,
    /** Shutting down: no new work is started; in-flight work finishes up to the shutdown timeout. */
    STOPPING,
    /** Closed cleanly: completed work committed, consumer left the group. */
    STOPPED,
    /** Stopped on its own after a failure ({@link Processor#failure()}); completed work was committed. */
    FAILED
}
