package io.tributary.projection;

import java.util.Map;
import java.util.Objects;

/**
 * Why a projection version stopped: a batch failed its last attempt. Nothing of the batch was committed; the next
 * start (or a rebuild with a fixed handler) applies it again from the stored checkpoint.
 *
 * @param projection the projection's name
 * @param version    the read-model version that failed
 * @param from       the checkpoint the failed batch started from, per source partition
 * @param events     how many events the failed batch held; 0 when reading the source failed
 * @param attempts   attempts made
 * @param cause      the last attempt's exception
 */
public record ProjectionFailure(String projection, int version, Map<String, Long> from, int events, int attempts,
                                Throwable cause) {

    public ProjectionFailure {
        Objects.requireNonNull(projection, "projection");
        from = Map.copyOf(from);
        Objects.requireNonNull(cause, "cause");
    }

    /** A message naming the projection, version, positions and cause, and what to do. */
    public String message() {
        if (events == 0) {
            return "Projection '" + projection + "' version " + version + " stopped: reading its source after "
                    + "checkpoint " + from + " failed: " + cause + ". Nothing past that checkpoint was committed. "
                    + "Fix the source (does the topic or store exist and is it open?) and restart the projection.";
        }
        return "Projection '" + projection + "' version " + version + " stopped: a batch of " + events
                + " events after checkpoint " + from + " failed " + attempts + " attempt(s): " + cause
                + ". Nothing of the batch was committed. Fix the handler or the database and restart the projection "
                + "(it resumes at that checkpoint), or rebuild it with a fixed handler.";
    }
}
