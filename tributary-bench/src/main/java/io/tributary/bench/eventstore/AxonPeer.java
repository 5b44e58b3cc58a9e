package io.tributary.bench.eventstore;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.stream.Stream;
import javax.sql.DataSource;
import org.HdrHistogram.Histogram;
import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.ConnectionWrapperFactory;
import org.axonframework.common.jdbc.JdbcException;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * The peer of {@code bench eventstore --vs axon}: Axon Framework 4.13's {@code JdbcEventStorageEngine} with its
 * defaults and Jackson serializer, on the same PostgreSQL, in its own schema, wired as a Spring Boot application
 * would have it (one pooled connection per transaction, one {@code appendEvents} = one transaction). Mirrors
 * /work/shared/peers/axon (see its README).
 */
final class AxonPeer implements AutoCloseable {

    /** The payload, about the size of the one Tributary stores; Axon serializes it to JSON. */
    public static final class OrderEvent {
        public String orderId;
        public String sku;
        public int quantity;
        public long priceCents;

        public OrderEvent() {
        }

        OrderEvent(String orderId, long n) {
            this.orderId = orderId;
            this.sku = "SKU-" + (10000 + n % 90000);
            this.quantity = (int) (1 + n % 7);
            this.priceCents = 199 + n % 10000;
        }
    }

    private final String url;
    private final String schema;
    private final HikariDataSource pool;
    private final JdbcEventStorageEngine engine;

    AxonPeer(String pgUrl) throws SQLException {
        this.url = pgUrl;
        this.schema = "axon_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = DriverManager.getConnection(pgUrl, "postgres", ""); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA " + schema);
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(pgUrl + (pgUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema);
        hc.setUsername("postgres");
        hc.setMaximumPoolSize(16);
        hc.setPoolName("axon-peer");
        pool = new HikariDataSource(hc);
        Tx tx = new Tx(pool);
        JacksonSerializer serializer = JacksonSerializer.defaultSerializer();
        engine = JdbcEventStorageEngine.builder().connectionProvider(tx).transactionManager(tx)
                .eventSerializer(serializer).snapshotSerializer(serializer).build();
        engine.createSchema(PostgresEventTableFactory.INSTANCE);
    }

    void truncate() throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("TRUNCATE domainevententry, snapshotevententry RESTART IDENTITY");
        }
    }

    /** Events in Axon's event table now (its rows: one per event). */
    long storedEvents() throws SQLException {
        try (Connection c = pool.getConnection(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM domainevententry")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Same workload shape as Tributary's: {@code total} events, {@code batch} per append, over {@code streams}. */
    void appends(int batch, int writers, int streams, int total, String prefix, Histogram latency) throws Exception {
        int appends = total / batch;
        AtomicLong next = new AtomicLong();
        AtomicLongArray seq = new AtomicLongArray(streams);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                fs.add(pool.submit(() -> {
                    Histogram local = new Histogram(60_000_000_000L, 3);
                    long i;
                    while ((i = next.getAndIncrement()) < appends) {
                        int s = (int) (i % streams);
                        String id = prefix + (streams == 1 ? "hot-0" : "order-" + s);
                        long first = seq.getAndAdd(s, batch);
                        List<DomainEventMessage<?>> msgs = new ArrayList<>(batch);
                        for (int b = 0; b < batch; b++) {
                            msgs.add(new GenericDomainEventMessage<>("Order", id, first + b, new OrderEvent(id, i)));
                        }
                        long t0 = System.nanoTime();
                        engine.appendEvents(msgs);
                        local.recordValue(System.nanoTime() - t0);
                    }
                    if (latency != null) {
                        synchronized (latency) {
                            latency.add(local);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.MINUTES);
            }
        }
    }

    /** Loads {@code id} and deserializes every payload; returns the event count. */
    long load(String id) {
        DomainEventStream s = engine.readEvents(id);
        long n = 0;
        while (s.hasNext()) {
            s.next().getPayload();
            n++;
        }
        return n;
    }

    /** Reads the whole store with a tracking read (Axon's $all) and deserializes every payload. */
    long readAll() {
        long n = 0;
        try (Stream<? extends TrackedEventMessage<?>> st = engine.readEvents(null, false)) {
            Iterator<? extends TrackedEventMessage<?>> it = st.iterator();
            while (it.hasNext()) {
                it.next().getPayload();
                n++;
            }
        }
        return n;
    }

    @Override
    public void close() throws SQLException {
        pool.close();
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement st = c.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
        }
    }

    /** One thread-bound connection per transaction, as Spring's transaction manager gives Axon. */
    private static final class Tx implements TransactionManager, ConnectionProvider {

        private static final Transaction JOINED = new Transaction() {
            @Override
            public void commit() {
            }

            @Override
            public void rollback() {
            }
        };

        private final DataSource dataSource;
        private final ThreadLocal<Connection> bound = new ThreadLocal<>();

        Tx(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public Transaction startTransaction() {
            if (bound.get() != null) {
                return JOINED;
            }
            Connection c;
            try {
                c = dataSource.getConnection();
                c.setAutoCommit(false);
            } catch (SQLException e) {
                throw new JdbcException("Could not begin a transaction", e);
            }
            bound.set(c);
            return new Transaction() {
                @Override
                public void commit() {
                    try {
                        c.commit();
                    } catch (SQLException e) {
                        throw new JdbcException("Commit failed", e);
                    } finally {
                        release(c);
                    }
                }

                @Override
                public void rollback() {
                    try {
                        c.rollback();
                    } catch (SQLException e) {
                        throw new JdbcException("Rollback failed", e);
                    } finally {
                        release(c);
                    }
                }
            };
        }

        private void release(Connection c) {
            bound.remove();
            try {
                c.setAutoCommit(true);
                c.close();
            } catch (SQLException ignored) {
                // the pool resets or drops it
            }
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection c = bound.get();
            return c == null ? dataSource.getConnection()
                    : ConnectionWrapperFactory.wrap(c, new ConnectionWrapperFactory.NoOpCloseHandler());
        }
    }
}
