package io.tributary.eventstore;

import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which events of {@code $all} a read or subscription wants. All given conditions must hold; an empty filter passes
 * everything. Filtering happens in the store, and the read position still advances past events filtered out.
 *
 * @param stream       exactly this stream
 * @param category     streams of this category ({@code order} for {@code order-42})
 * @param streamPrefix streams whose name starts with this
 * @param eventTypes   events of one of these types; empty = any type
 */
public record EventFilter(Optional<String> stream, Optional<String> category, Optional<String> streamPrefix,
                          Set<String> eventTypes) {

    private static final EventFilter ALL = new EventFilter(Optional.empty(), Optional.empty(), Optional.empty(), Set.of());

    public EventFilter {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(category, "category");
        Objects.requireNonNull(streamPrefix, "streamPrefix");
        eventTypes = Set.copyOf(eventTypes);
        stream.ifPresent(StreamName::validate);
    }

    /** Every event. */
    public static EventFilter all() {
        return ALL;
    }

    public static EventFilter stream(String stream) {
        return new EventFilter(Optional.of(stream), Optional.empty(), Optional.empty(), Set.of());
    }

    public static EventFilter category(String category) {
        return new EventFilter(Optional.empty(), Optional.of(category), Optional.empty(), Set.of());
    }

    public static EventFilter streamPrefix(String prefix) {
        return new EventFilter(Optional.empty(), Optional.empty(), Optional.of(prefix), Set.of());
    }

    public static EventFilter eventTypes(String... types) {
        return new EventFilter(Optional.empty(), Optional.empty(), Optional.empty(), Set.of(types));
    }

    /** This filter, further restricted to these event types. */
    public EventFilter withEventTypes(Set<String> types) {
        return new EventFilter(stream, category, streamPrefix, types);
    }

    public boolean matches(String eventStream, String eventType) {
        return (stream.isEmpty() || stream.get().equals(eventStream))
                && (category.isEmpty() || category.get().equals(StreamName.categoryOf(eventStream)))
                && (streamPrefix.isEmpty() || eventStream.startsWith(streamPrefix.get()))
                && (eventTypes.isEmpty() || eventTypes.contains(eventType));
    }
}
