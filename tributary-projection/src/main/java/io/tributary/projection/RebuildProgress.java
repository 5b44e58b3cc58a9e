package io.tributary.projection;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A rebuild's progress at the moment it was asked for.
 *
 * @param version        the version being built
 * @param phase          where the rebuild is
 * @param eventsDone     events applied to the shadow version so far (over all runs, if it was resumed)
 * @param eventsTotal    events the shadow version must apply to catch up: the live version's event count plus its
 *                       lag; grows while the source grows
 * @param eventsPerSecond rate of this run of the rebuild so far
 * @param eta            time left at that rate; empty until the rate is known
 */
public record RebuildProgress(int version, Phase phase, long eventsDone, long eventsTotal, double eventsPerSecond,
                              Optional<Duration> eta) {

    /** Where a rebuild is. */
    public enum Phase {
        /** Replaying into the shadow tables while the live version keeps serving and advancing. */
        CATCHING_UP,
        /** The live version was stopped; the shadow applies the last events up to its checkpoint, then switches. */
        SWITCHING,
        /** The shadow version is now live. */
        SWITCHED,
        /** It failed; the live version kept serving. */
        FAILED,
        /** It was cancelled, or the projection was closed before it finished (it resumes on the next rebuild). */
        STOPPED
    }

    public RebuildProgress {
        Objects.requireNonNull(phase, "phase");
        Objects.requireNonNull(eta, "eta");
    }

    /** {@code eventsDone / eventsTotal}, 1.0 when there is nothing to do. */
    public double fraction() {
        return eventsTotal == 0 ? 1.0 : Math.min(1.0, (double) eventsDone / eventsTotal);
    }
}
