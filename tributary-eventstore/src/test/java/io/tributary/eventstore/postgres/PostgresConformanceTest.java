package io.tributary.eventstore.postgres;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStoreConformanceKit;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.WriteResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The PostgreSQL backend, default position strategy (transaction ids gated by the snapshot's xmin). */
class PostgresConformanceTest extends EventStoreConformanceKit {

    private final Map<EventStore, PostgresEventStoreConfig> configs = new ConcurrentHashMap<>();

    @Override
    protected EventStore newStore() {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        EventStore s = PostgresTestStores.open(config);
        configs.put(s, config);
        return s;
    }

    @Override
    protected WriteResult appendWithLateCommit(EventStore store, String stream, ExpectedVersion expected,
                                               List<EventData> events, Duration delay) throws Exception {
        return PostgresTestStores.appendWithLateCommit(configs.get(store), false, stream, expected, events, delay);
    }
}
