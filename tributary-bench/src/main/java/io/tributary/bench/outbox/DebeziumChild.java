package io.tributary.bench.outbox;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.jspecify.annotations.Nullable;

/**
 * The peer, in its own JVM (started by {@link DebeziumPeer}; Debezium 3.6.1 needs kafka-clients 4.3): Debezium's
 * embedded engine (the async engine, Kafka Connect records, no serialisation) with its PostgreSQL connector
 * ({@code pgoutput}) reading our outbox table, and a handler that does nothing but note each inserted row's event id
 * and the time, and mark the record processed, so offsets (and the slot's confirmed position) advance. Configured as
 * in {@code /work/shared/peers/debezium}: in-memory offsets flushed every second, {@code snapshot.mode=no_data}, the
 * publication made beforehand, the slot dropped on stop.
 *
 * <p>Protocol on stdout, one line each: {@code TASK} (connector task started), {@code PROBE} (saw a row of type
 * {@value OutboxWriters#PROBE_TYPE}), {@code B <epoch nanos> <count> [id,id,...]} per handler batch (ids only with
 * {@code ids=true}), {@code FAILED <message>}, {@code STOPPED}. It stops when its stdin closes or says {@code STOP}.
 *
 * <pre>java -cp ... io.tributary.bench.outbox.DebeziumChild port=5432 table=tributary_outbox ids=true [dbz.x=y ...]</pre>
 */
public final class DebeziumChild {

    static final String SLOT = "dbz_outbox";
    static final String PUBLICATION = "dbz_publication";

    private DebeziumChild() {
    }

    public static void main(String[] args) throws Exception {
        String port = "5432";
        String table = "tributary_outbox";
        boolean ids = false;
        Properties p = new Properties();
        p.setProperty("name", "outbox-bench-debezium");
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("database.hostname", "127.0.0.1");
        p.setProperty("database.user", PrivatePostgres.USER);
        p.setProperty("database.password", "postgres");
        p.setProperty("database.dbname", PrivatePostgres.DATABASE);
        p.setProperty("topic.prefix", "dbz");
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", SLOT);
        p.setProperty("slot.drop.on.stop", "true");
        p.setProperty("publication.name", PUBLICATION);
        p.setProperty("publication.autocreate.mode", "filtered");
        p.setProperty("snapshot.mode", "no_data");
        for (String a : args) {
            int eq = a.indexOf('=');
            String k = a.substring(0, eq);
            String v = a.substring(eq + 1);
            switch (k) {
                case "port" -> port = v;
                case "table" -> table = v;
                case "ids" -> ids = Boolean.parseBoolean(v);
                default -> {
                    if (k.startsWith("dbz.")) {
                        p.setProperty(k.substring(4), v);
                    } else {
                        throw new IllegalArgumentException("Unknown argument '" + a + "'");
                    }
                }
            }
        }
        p.setProperty("database.port", port);
        p.setProperty("table.include.list", "public." + table);

        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false,
                StandardCharsets.UTF_8);
        System.setOut(System.err); // only the protocol on stdout
        boolean withIds = ids;
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<@Nullable Throwable> failure = new AtomicReference<>();
        DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> handler = (records, committer) -> {
            long now = BenchClock.nanos();
            StringBuilder line = new StringBuilder(withIds ? 40 * records.size() + 32 : 32);
            int count = 0;
            boolean probe = false;
            for (RecordChangeEvent<SourceRecord> r : records) {
                if (r.record().value() instanceof Struct v && v.schema().field("after") != null
                        && v.getStruct("after") instanceof Struct after) {
                    if (OutboxWriters.PROBE_TYPE.equals(after.getString("event_type"))) {
                        probe = true;
                    } else if ("c".equals(v.getString("op"))) {
                        if (withIds) {
                            line.append(count == 0 ? ' ' : ',').append(after.getString("event_id"));
                        }
                        count++;
                    }
                }
                committer.markProcessed(r);
            }
            committer.markBatchFinished();
            synchronized (out) {
                if (probe) {
                    out.println("PROBE");
                }
                if (count > 0) {
                    out.println("B " + now + " " + count + line);
                }
                out.flush();
            }
        };
        DebeziumEngine.ConnectorCallback started = new DebeziumEngine.ConnectorCallback() {
            @Override
            public void taskStarted() {
                synchronized (out) {
                    out.println("TASK");
                    out.flush();
                }
            }
        };
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(p)
                .using(started)
                .using((success, message, error) -> {
                    if (!success) {
                        failure.compareAndSet(null, error != null ? error : new IllegalStateException(message));
                        synchronized (out) {
                            out.println("FAILED " + (error != null ? error : message).toString().replace('\n', ' '));
                            out.flush();
                        }
                    }
                    done.countDown();
                })
                .notifying(handler)
                .build();
        Thread runner = Thread.ofPlatform().name("debezium-engine").daemon().start(engine);
        // Wait for the parent: STOP or end of stdin (the parent died or is done).
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String l;
            while ((l = in.readLine()) != null && !l.equals("STOP")) {
                // only STOP is understood
            }
        }
        engine.close();
        if (!done.await(60, TimeUnit.SECONDS)) {
            runner.interrupt();
        }
        synchronized (out) {
            out.println("STOPPED");
            out.flush();
        }
        System.exit(failure.get() == null ? 0 : 3);
    }
}
