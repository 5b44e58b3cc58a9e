package io.tributary.log;

import io.tributary.core.InvalidRequestException;
import io.tributary.log.spi.EventLogProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Opens an {@link EventLog} from settings. The backend is chosen by {@value #BACKEND} ({@code embedded} when absent);
 * the rest of the settings go to that backend's {@link EventLogProvider}. Moving an application from the embedded
 * engine to Kafka is a change of settings only.
 */
public final class EventLogs {

    /** The setting that picks the backend. */
    public static final String BACKEND = "tributary.log.backend";
    /** The default backend. */
    public static final String DEFAULT_BACKEND = "embedded";

    private EventLogs() {
    }

    /** Opens the backend named by {@value #BACKEND} in {@code settings}. */
    public static EventLog open(Map<String, String> settings) {
        String name = settings.getOrDefault(BACKEND, DEFAULT_BACKEND).trim();
        return provider(name).open(settings);
    }

    /** The provider registered (through {@link ServiceLoader}) under {@code name}. */
    public static EventLogProvider provider(String name) {
        List<String> known = new ArrayList<>();
        for (EventLogProvider p : ServiceLoader.load(EventLogProvider.class)) {
            if (p.name().equals(name)) {
                return p;
            }
            known.add(p.name());
        }
        throw new InvalidRequestException(LogErrors.UNKNOWN_BACKEND, BACKEND + "='" + name
                + "' names no backend on the class path (found: " + (known.isEmpty() ? "none" : String.join(", ", known))
                + "); use 'embedded', or add the module that provides it (tributary-kafka for 'kafka').");
    }
}
