package io.tributary.projection;

import java.time.Duration;
import java.util.Objects;

/** How a rebuild ended. */
public sealed interface RebuildOutcome {

    /** The version that was built. */
    int version();

    /**
     * The shadow version caught up and became live in one transaction; the previous version is retired (its tables
     * stay until {@link Projection#dropRetiredVersions()}).
     *
     * @param retired the version that was live before
     * @param events  events applied to the new version over the whole rebuild
     * @param took    wall time of this run of the rebuild
     */
    record Switched(int version, int retired, long events, Duration took) implements RebuildOutcome {
        public Switched {
            Objects.requireNonNull(took, "took");
        }
    }

    /** A shadow batch failed its last attempt; the live version kept (or went back to) serving. */
    record Failed(int version, ProjectionFailure failure) implements RebuildOutcome {
        public Failed {
            Objects.requireNonNull(failure, "failure");
        }
    }

    /** {@link Rebuild#cancel()} was called: the shadow tables were dropped. */
    record Cancelled(int version) implements RebuildOutcome {
    }

    /** The projection was closed first; the shadow version is kept and the next rebuild resumes it. */
    record Interrupted(int version) implements RebuildOutcome {
    }
}
