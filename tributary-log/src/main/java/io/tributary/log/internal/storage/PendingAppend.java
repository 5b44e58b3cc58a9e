package io.tributary.log.internal.storage;

import io.tributary.core.TributaryException;

/**
 * One encoded batch waiting in a partition's queue to be written (and, under {@code fsync=always}, synced). The
 * writer assigns {@link #baseOffset}; exactly one of {@link #acknowledge} or {@link #fail} is then called, outside
 * any storage lock.
 */
abstract class PendingAppend {

    final byte[] batch;
    final int recordCount;
    final long maxTimestamp;
    long baseOffset = -1;

    PendingAppend(byte[] batch, int recordCount, long maxTimestamp) {
        this.batch = batch;
        this.recordCount = recordCount;
        this.maxTimestamp = maxTimestamp;
    }

    long nextOffset() {
        return baseOffset + recordCount;
    }

    /** The batch is durable under the topic's mode and readable at {@link #baseOffset}. */
    abstract void acknowledge();

    /** The batch was not (or may not have been) stored. */
    abstract void fail(TributaryException error);
}
