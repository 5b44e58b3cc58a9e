package io.tributary.bench.outbox;

import io.tributary.core.TributaryException;
import io.tributary.outbox.Outbox;
import io.tributary.outbox.OutboxEvent;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import javax.sql.DataSource;

/**
 * The benchmark's writers: threads that add ~200-byte JSON order events through {@link Outbox#add} in their own
 * transactions (one connection each, auto-commit off), with keys spread over {@link #ORDER_IDS} order ids.
 */
final class OutboxWriters {

    static final String TOPIC = "orders";
    static final int ORDER_IDS = 10_000;
    static final String PROBE_TYPE = "Probe";

    private final DataSource dataSource;
    private final Outbox outbox = new Outbox();

    OutboxWriters(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** The result of a write phase. */
    record Written(long transactions, long rows, double seconds) {
        double txPerSecond() {
            return transactions / seconds;
        }
    }

    /**
     * Writes {@code rows} events as fast as {@code threads} writers can, {@code rowsPerTx} per transaction (keys
     * sorted within a transaction, so two writers never lock two keys in opposite order).
     */
    Written backlog(int threads, long rows, int rowsPerTx) throws InterruptedException {
        AtomicLong left = new AtomicLong(rows);
        AtomicLong txs = new AtomicLong();
        long start = System.nanoTime();
        runAll(threads, i -> {
            try (Connection c = open()) {
                while (true) {
                    long take = Math.min(rowsPerTx, left.getAndAdd(-rowsPerTx));
                    if (take <= 0) {
                        return;
                    }
                    List<Integer> orders = new ArrayList<>();
                    for (int r = 0; r < take; r++) {
                        orders.add(ThreadLocalRandom.current().nextInt(ORDER_IDS));
                    }
                    orders.sort(null);
                    inTransaction(c, () -> {
                        for (int order : orders) {
                            outbox.add(c, event(order));
                        }
                    });
                    txs.incrementAndGet();
                }
            }
        });
        return new Written(txs.get(), rows, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Paced writers: {@code threads} threads together commit {@code ratePerSecond} single-row transactions per second
     * for {@code seconds}, reporting each event's commit time (when {@code commit()} returned) to {@code latency}.
     * A writer that falls behind its schedule does not sleep until it has caught up (the offered rate is kept when
     * the database allows; the achieved rate is returned).
     */
    Written paced(int threads, int ratePerSecond, int seconds, CommitLatency latency) throws InterruptedException {
        AtomicLong txs = new AtomicLong();
        long intervalNanos = 1_000_000_000L * threads / ratePerSecond;
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        runAll(threads, i -> {
            try (Connection c = open()) {
                long next = start + intervalNanos * i / threads;
                while (next < end) {
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    int order = ThreadLocalRandom.current().nextInt(ORDER_IDS);
                    UUID[] id = new UUID[1];
                    inTransaction(c, () -> id[0] = outbox.add(c, event(order)));
                    latency.committed(id[0], BenchClock.nanos());
                    txs.incrementAndGet();
                    next += intervalNanos;
                }
            }
        });
        return new Written(txs.get(), txs.get(), (System.nanoTime() - start) / 1e9);
    }

    /** Adds one probe event (type {@value #PROBE_TYPE}) and returns its id: a relay that published it is ready. */
    UUID probe() throws SQLException {
        try (Connection c = open()) {
            UUID[] id = new UUID[1];
            inTransaction(c, () -> id[0] = outbox.add(c, OutboxEvent.of(TOPIC, "probe".getBytes(StandardCharsets.UTF_8),
                    PROBE_TYPE, "{}".getBytes(StandardCharsets.UTF_8))));
            return id[0];
        }
    }

    private Connection open() throws SQLException {
        Connection c = dataSource.getConnection();
        c.setAutoCommit(false);
        return c;
    }

    /** Runs {@code body} and commits; on a transient failure (say, a deadlock) rolls back and retries, up to 5 times. */
    private static void inTransaction(Connection c, SqlBody body) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                body.run();
                c.commit();
                return;
            } catch (TributaryException | SQLException e) {
                c.rollback();
                if (attempt >= 5) {
                    throw e;
                }
            }
        }
    }

    static OutboxEvent event(int order) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String orderId = "order-" + order;
        // ~200 bytes, shaped like a real order event.
        String json = "{\"orderId\":\"" + orderId + "\",\"customerId\":\"customer-" + r.nextInt(100_000)
                + "\",\"amount\":{\"value\":" + r.nextInt(1, 100_000) / 100.0 + ",\"currency\":\"EUR\"},"
                + "\"items\":[{\"sku\":\"SKU-" + r.nextInt(10_000) + "\",\"qty\":" + r.nextInt(1, 5) + "},"
                + "{\"sku\":\"SKU-" + r.nextInt(10_000) + "\",\"qty\":" + r.nextInt(1, 5) + "}],"
                + "\"note\":\"deliver to the back door\",\"at\":" + System.currentTimeMillis() + "}";
        return OutboxEvent.of(TOPIC, orderId.getBytes(StandardCharsets.UTF_8), "OrderPlaced",
                json.getBytes(StandardCharsets.UTF_8));
    }

    private interface SqlBody {
        void run() throws SQLException;
    }

    private interface Work {
        void run(int index) throws Exception;
    }

    private static void runAll(int threads, Work work) throws InterruptedException {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> started = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            started.add(Thread.ofPlatform().name("outbox-writer-" + i).start(() -> {
                try {
                    work.run(index);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        for (Thread t : started) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("An outbox writer failed: " + failure.get(), failure.get());
        }
    }
}
