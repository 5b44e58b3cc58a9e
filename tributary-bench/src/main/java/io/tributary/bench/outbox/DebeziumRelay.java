package io.tributary.bench.outbox;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.tributary.outbox.OutboxTables;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * The peer: Debezium's embedded engine (the async engine, Kafka Connect records, no serialisation) with its PostgreSQL
 * connector ({@code pgoutput}) reading our outbox table, and a handler that does nothing but note each inserted
 * row's event id and time and mark the record processed, so offsets (and the slot's confirmed position) advance.
 * Configured as in {@code /work/shared/peers/debezium}: in-memory offsets flushed every second, {@code
 * snapshot.mode=no_data}, the publication created beforehand, the slot dropped on stop. Probe rows (event type
 * {@value OutboxWriters#PROBE_TYPE}) are seen but not counted.
 */
final class DebeziumRelay implements AutoCloseable {

    static final String SLOT = "dbz_outbox";
    static final String PUBLICATION = "dbz_publication";

    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final Thread runner;
    private final CountDownLatch taskStarted = new CountDownLatch(1);
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
    private final CountDownLatch probeSeen = new CountDownLatch(1);
    final long startNanos;

    private DebeziumRelay(int port, Map<String, String> overrides, Tally tally, @Nullable CommitLatency latency) {
        Properties p = new Properties();
        p.setProperty("name", "outbox-bench-debezium");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", "127.0.0.1");
        p.setProperty("database.port", Integer.toString(port));
        p.setProperty("database.user", PrivatePostgres.USER);
        p.setProperty("database.password", "postgres");
        p.setProperty("database.dbname", PrivatePostgres.DATABASE);
        p.setProperty("topic.prefix", "dbz");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", SLOT);
        p.setProperty("slot.drop.on.stop", "true");
        p.setProperty("publication.name", PUBLICATION);
        p.setProperty("publication.autocreate.mode", "filtered");
        p.setProperty("table.include.list", "public." + OutboxTables.defaults().outbox());
        p.setProperty("snapshot.mode", "no_data");
        overrides.forEach(p::setProperty);

        DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> handler = (records, committer) -> {
            long now = System.nanoTime();
            List<UUID> ids = new ArrayList<>(records.size());
            for (RecordChangeEvent<SourceRecord> r : records) {
                if (r.record().value() instanceof Struct v && v.schema().field("after") != null
                        && v.getStruct("after") instanceof Struct after) {
                    if (OutboxWriters.PROBE_TYPE.equals(after.getString("event_type"))) {
                        probeSeen.countDown();
                    } else if ("c".equals(v.getString("op"))) {
                        ids.add(UUID.fromString(after.getString("event_id")));
                    }
                }
                committer.markProcessed(r);
            }
            committer.markBatchFinished();
            if (latency != null) {
                latency.published(ids, now);
            }
            tally.batch(ids.size(), now);
        };
        DebeziumEngine.ConnectorCallback started = new DebeziumEngine.ConnectorCallback() {
            @Override
            public void taskStarted() {
                taskStarted.countDown();
            }
        };
        this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(p)
                .using(started)
                .using((success, message, error) -> {
                    if (!success) {
                        failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
                    }
                    taskStarted.countDown();
                    done.countDown();
                })
                .notifying(handler)
                .build();
        this.startNanos = System.nanoTime();
        this.runner = Thread.ofPlatform().name("debezium-engine").daemon().start(engine);
    }

    /** Starts the engine and waits until its connector task runs. */
    static DebeziumRelay start(int port, Map<String, String> overrides, Tally tally, @Nullable CommitLatency latency)
            throws InterruptedException {
        DebeziumRelay relay = new DebeziumRelay(port, overrides, tally, latency);
        if (!relay.taskStarted.await(120, TimeUnit.SECONDS) || relay.failure.get() != null) {
            relay.close();
            throw new IllegalStateException("Debezium's connector task did not start within 120 s", relay.failure.get());
        }
        return relay;
    }

    boolean awaitProbe(long timeout, TimeUnit unit) throws InterruptedException {
        return probeSeen.await(timeout, unit);
    }

    void checkHealthy() {
        Throwable t = failure.get();
        if (t != null) {
            throw new IllegalStateException("Debezium's engine failed: " + t, t);
        }
    }

    @Override
    public void close() {
        try {
            engine.close();
            if (!done.await(60, TimeUnit.SECONDS)) {
                runner.interrupt();
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not stop Debezium's engine: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
