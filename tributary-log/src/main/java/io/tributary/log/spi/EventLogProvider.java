package io.tributary.log.spi;

import io.tributary.log.EventLog;
import java.util.Map;

/**
 * Creates {@link EventLog}s of one backend. Found with {@link java.util.ServiceLoader}; must have a public no-argument
 * constructor and be stateless.
 */
public interface EventLogProvider {

    /** The value of {@code tributary.log.backend} that selects this backend, e.g. {@code kafka}. */
    String name();

    /**
     * Opens a log. {@code settings} holds every {@code tributary.log.*} setting; the provider reads its own
     * ({@code tributary.log.<name>.*}) and reports every bad or unknown one at once.
     */
    EventLog open(Map<String, String> settings);
}
