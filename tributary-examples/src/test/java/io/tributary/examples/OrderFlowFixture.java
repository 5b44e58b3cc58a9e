package io.tributary.examples;

import com.zaxxer.hikari.HikariDataSource;
import io.tributary.eventstore.EmbeddedEventStoreConfig;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.examples.contracts.EventSchemas;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.schema.SchemaRegistry;
import io.tributary.schema.SchemaText;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The parts of the order flow the forwarder and read-model tests run on, all real: an embedded log in {@code dir}
 * with the orders topic, a schema registry with the order events' schemas registered for it, the embedded event
 * store, and the demo's H2 pool. Closed in reverse order of opening.
 */
final class OrderFlowFixture implements AutoCloseable {

    final EventLog log;
    final SchemaRegistry registry;
    final EventStore store;
    final HikariDataSource db;

    OrderFlowFixture(Path dir, String topic, int partitions, int poolSize) throws Exception {
        log = EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.resolve("log").toString()));
        log.admin().createTopic(NewTopic.of(topic, partitions));
        registry = SchemaRegistry.open(log);
        for (var s : List.of(EventSchemas.ORDER_PLACED_V1, EventSchemas.PAYMENT_CONFIRMED, EventSchemas.ORDER_SHIPPED,
                EventSchemas.ORDER_CANCELLED)) {
            registry.register(EventSchemas.subject(topic, s), SchemaText.avro(s.toString()));
        }
        store = EventStores.embedded(log, EmbeddedEventStoreConfig.of(dir.resolve("index")));
        db = OrderFulfilmentDemo.dataSource(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty(), poolSize);
    }

    @Override
    public void close() throws Exception {
        db.close();
        store.close();
        registry.close();
        log.close();
    }
}
