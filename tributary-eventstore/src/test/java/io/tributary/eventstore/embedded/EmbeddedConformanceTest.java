package io.tributary.eventstore.embedded;

import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStoreConformanceKit;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.WriteResult;
import java.time.Duration;
import java.util.List;

/**
 * The embedded backend on the real log engine. The log orders every record at append, so a "late commit" is an
 * append that arrives late: the writer waits, then appends.
 */
class EmbeddedConformanceTest extends EventStoreConformanceKit {

    @Override
    protected EventStore newStore() {
        return EmbeddedStores.open(EmbeddedStores.newDir(), 10_000);
    }

    @Override
    protected WriteResult appendWithLateCommit(EventStore store, String stream, ExpectedVersion expected,
                                               List<EventData> events, Duration delay) throws Exception {
        Thread.sleep(delay.toMillis());
        return store.append(stream, expected, events);
    }
}
