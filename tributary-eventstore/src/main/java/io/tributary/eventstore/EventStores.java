package io.tributary.eventstore;

import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.internal.embedded.EmbeddedEventStore;
import io.tributary.eventstore.internal.postgres.PostgresEventStore;
import io.tributary.log.EventLog;
import io.tributary.eventstore.spi.EventStoreProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import javax.sql.DataSource;

/** Opens event stores: by settings (the backend chosen by {@value #BACKEND}), or directly with a typed config. */
public final class EventStores {

    /** The setting that picks the backend. */
    public static final String BACKEND = "tributary.eventstore.backend";
    /** The default backend. */
    public static final String DEFAULT_BACKEND = "embedded";

    private EventStores() {
    }

    /** Opens the backend named by {@value #BACKEND} in {@code settings}. */
    public static EventStore open(Map<String, String> settings) {
        String name = settings.getOrDefault(BACKEND, DEFAULT_BACKEND).trim();
        List<String> known = new ArrayList<>();
        for (EventStoreProvider p : ServiceLoader.load(EventStoreProvider.class)) {
            if (p.name().equals(name)) {
                return p.open(settings);
            }
            known.add(p.name());
        }
        throw new InvalidRequestException(EventStoreErrors.UNKNOWN_BACKEND, BACKEND + "='" + name
                + "' names no event store backend on the class path (found: "
                + (known.isEmpty() ? "none" : String.join(", ", known)) + "); use 'embedded' or 'postgres'.");
    }

    /** A PostgreSQL store with its own connection pool. */
    public static EventStore postgres(PostgresEventStoreConfig config) {
        return PostgresEventStore.open(config);
    }

    /**
     * A PostgreSQL store over your DataSource (not closed by the store). Its connections must be in auto-commit mode.
     * Writes run under READ COMMITTED whatever the connections' default isolation: if it is another level, appends
     * each run in a transaction that sets READ COMMITTED (two more round trips per append), so a READ COMMITTED
     * DataSource is the fast one. The store does not change the connections' session settings.
     */
    public static EventStore postgres(DataSource dataSource, PostgresEventStoreConfig config) {
        return PostgresEventStore.open(dataSource, config);
    }

    /**
     * An embedded store on {@code log} (the store does not close the log). Its topic is created with one partition,
     * {@code fsync=always} and unlimited retention if it does not exist.
     */
    public static EventStore embedded(EventLog log, EmbeddedEventStoreConfig config) {
        return EmbeddedEventStore.open(log, config, false);
    }
}
