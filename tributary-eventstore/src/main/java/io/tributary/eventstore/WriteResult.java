package io.tributary.eventstore;

/**
 * The outcome of a successful append.
 *
 * @param stream        the stream written
 * @param lastVersion   the stream's version after the append (the version of the last event of the batch)
 * @param firstPosition the global position of the first event of the batch
 * @param lastPosition  the global position of the last event of the batch
 * @param idempotent    true if the events had already been written at this position by an earlier identical
 *                      append, so nothing new was written
 */
public record WriteResult(String stream, long lastVersion, long firstPosition, long lastPosition, boolean idempotent) {

    /** The expected version to use for the next append to this stream. */
    public ExpectedVersion nextExpectedVersion() {
        return ExpectedVersion.exactly(lastVersion);
    }
}
