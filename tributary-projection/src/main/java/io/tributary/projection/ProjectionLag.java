package io.tributary.projection;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How far a projection's committed read model is behind its source, at the moment it was measured.
 *
 * @param events           events in the source after the committed checkpoint (summed over partitions)
 * @param time             age of the oldest event not yet applied ({@code now - its timestamp}); zero when
 *                         {@code events == 0}
 * @param exact            false when counting stopped at {@link ProjectionConfig#lagCountLimit()} (event-store
 *                         sources only); {@code events} is then a lower bound
 * @param eventsByPartition events behind per source partition ({@code orders/0}, {@code $all})
 */
public record ProjectionLag(long events, Duration time, boolean exact, Map<String, Long> eventsByPartition) {

    public ProjectionLag {
        Objects.requireNonNull(time, "time");
        eventsByPartition = Map.copyOf(eventsByPartition);
        if (events < 0) {
            throw new IllegalArgumentException("events " + events + " must not be negative");
        }
    }
}
