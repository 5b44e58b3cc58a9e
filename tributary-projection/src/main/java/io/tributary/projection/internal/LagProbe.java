package io.tributary.projection.internal;

import java.util.Map;

/**
 * Measures how far a projection's committed checkpoint is behind its source, for the lag gauges. Long-lived (it keeps
 * a consumer or a scan position between samples so that each sample reads little) and used by the metrics sampler
 * thread only. Reads the source; never writes anything.
 */
interface LagProbe extends AutoCloseable {

    /**
     * Lag of one source partition.
     *
     * @param events       events after the checkpoint (a lower bound when {@code exact} is false)
     * @param oldestMillis timestamp of the oldest event not yet applied, ms since the epoch; -1 when none is behind or
     *                     it could not be read
     * @param exact        false when counting stopped at the per-sample budget
     */
    record PartitionLag(long events, long oldestMillis, boolean exact) {
    }

    /**
     * Lag per source partition of the worker {@code owner}, whose committed progress is {@code checkpoints} after
     * {@code events} applied events (one consistent snapshot).
     */
    Map<String, PartitionLag> sample(Object owner, Map<String, Long> checkpoints, long events);

    @Override
    void close();
}
