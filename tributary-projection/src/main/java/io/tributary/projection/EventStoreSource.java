package io.tributary.projection;

import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.RecordedEvent;
import java.util.Objects;

/**
 * The event store's {@code $all}, optionally filtered (a category, a stream prefix, event types). Events arrive in
 * global position order; the checkpoint is the last position considered (events the filter skipped included), kept
 * under the source partition name {@value #PARTITION}.
 *
 * @param store  the store (not closed by the projection)
 * @param filter which events of {@code $all} to project
 */
public record EventStoreSource(EventStore store, EventFilter filter) implements ProjectionSource<RecordedEvent> {

    /** The name under which the single {@code $all} checkpoint is stored. */
    public static final String PARTITION = "$all";

    public EventStoreSource {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(filter, "filter");
    }

    /** Every event of the store. */
    public static EventStoreSource all(EventStore store) {
        return new EventStoreSource(store, EventFilter.all());
    }

    /** The events of every stream of a category ({@code order} for {@code order-42}). */
    public static EventStoreSource category(EventStore store, String category) {
        return new EventStoreSource(store, EventFilter.category(category));
    }
}
