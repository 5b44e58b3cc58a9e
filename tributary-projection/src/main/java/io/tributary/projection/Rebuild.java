package io.tributary.projection;

import java.time.Duration;
import java.util.Optional;

/**
 * A running (or finished) rebuild of a projection. Thread-safe.
 *
 * <p>A rebuild replays the source from the beginning into a new version's tables with side effects suppressed, never
 * getting ahead of the live version; once it has caught up, the live version is stopped between two batches, the
 * shadow applies the last events up to the live checkpoint, and one transaction makes it live. From then on it is the
 * projection's live version, with side effects on.
 */
public interface Rebuild {

    /** The version being built. */
    int version();

    RebuildProgress progress();

    /** Waits up to {@code timeout} for the outcome; empty if still running. */
    Optional<RebuildOutcome> await(Duration timeout) throws InterruptedException;

    /** Stops the rebuild and drops its tables; the live version goes on (is restarted if it was stopped). */
    void cancel();
}
