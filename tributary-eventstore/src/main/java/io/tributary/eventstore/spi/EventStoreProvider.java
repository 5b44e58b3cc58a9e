package io.tributary.eventstore.spi;

import io.tributary.eventstore.EventStore;
import java.util.Map;

/**
 * Creates {@link EventStore}s of one backend. Found with {@link java.util.ServiceLoader}; must have a public
 * no-argument constructor and be stateless.
 */
public interface EventStoreProvider {

    /** The value of {@code tributary.eventstore.backend} that selects this backend, e.g. {@code postgres}. */
    String name();

    /**
     * Opens a store. {@code settings} holds every {@code tributary.eventstore.*} setting; the provider reads its own
     * ({@code tributary.eventstore.<name>.*}) and reports every bad or unknown one at once.
     */
    EventStore open(Map<String, String> settings);
}
