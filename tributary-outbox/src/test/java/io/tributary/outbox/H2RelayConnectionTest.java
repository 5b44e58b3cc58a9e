package io.tributary.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.log.EventLog;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * On H2 the relay keeps its round connection, with the claim prepared on it, from one round to the next (H2 parses a
 * {@code FOR UPDATE} query again on every prepare): it must reuse it, drop it after a failed round and take a new
 * one, and give it back when the relay closes.
 */
@Timeout(60)
class H2RelayConnectionTest {

    @TempDir
    Path logDir;

    /** A data source that counts the connections it handed out and those still open. */
    private static final class CountingDataSource implements DataSource {
        private final JdbcDataSource h2 = new JdbcDataSource();
        final AtomicInteger handedOut = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        /** Calls of commit() or rollback() on the connections handed out. */
        final AtomicInteger transactionEnds = new AtomicInteger();
        final List<Connection> physical = new CopyOnWriteArrayList<>();

        CountingDataSource(String url) {
            h2.setURL(url);
        }

        @Override
        public Connection getConnection() throws SQLException {
            Connection real = h2.getConnection();
            physical.add(real);
            handedOut.incrementAndGet();
            open.incrementAndGet();
            boolean[] closed = {false};
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                    (proxy, method, args) -> {
                        if (method.getName().equals("close") && !closed[0]) {
                            closed[0] = true;
                            open.decrementAndGet();
                        }
                        if (method.getName().equals("commit") || method.getName().equals("rollback")) {
                            transactionEnds.incrementAndGet();
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    private static void add(DataSource ds, Outbox outbox, int n, String prefix) throws SQLException {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            for (int i = 0; i < n; i++) {
                outbox.add(c, OutboxEvent.of("orders", (prefix + i).getBytes(StandardCharsets.UTF_8), "T",
                        (prefix + i).getBytes(StandardCharsets.UTF_8)));
            }
            c.commit();
        }
    }

    @Test
    void keepsOneConnectionAcrossRoundsTakesANewOneAfterAFailedRoundAndGivesItBackOnClose() throws Exception {
        CountingDataSource ds = new CountingDataSource("jdbc:h2:mem:relay-held-" + System.nanoTime()
                + ";DB_CLOSE_DELAY=-1");
        OutboxTables tables = OutboxTables.defaults();
        OutboxSchema.create(ds, tables);
        Outbox outbox = new Outbox(tables);
        try (EventLog log = LogFixture.open(logDir)) {
            LogFixture.createTopic(log, "orders", 2);
            OutboxRelay relay = OutboxRelay.create(ds, log, tables, RelayConfig.defaults()
                    .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)), new SimpleMeterRegistry(),
                    RelayObserver.NONE);
            add(ds, outbox, 10, "a");
            int before = ds.handedOut.get();
            assertThat(relay.relayOnce().published()).isEqualTo(10);
            add(ds, outbox, 5, "b");
            assertThat(relay.relayOnce().published()).isEqualTo(5);
            assertThat(relay.relayOnce().claimed()).isZero();
            assertThat(ds.handedOut.get() - before).as("one connection for the three rounds (and two adds)")
                    .isEqualTo(1 + 1);
            assertThat(ds.open.get()).as("the relay's connection is kept between rounds").isEqualTo(1);

            // The kept connection breaks under the relay: that round fails, and the next one takes a new connection.
            Connection kept = ds.physical.get(ds.physical.size() - 2);   // the relay's (the last one is b's add)
            kept.close();
            add(ds, outbox, 3, "c");
            assertThatThrownBy(relay::relayOnce).isInstanceOf(RetriableException.class);
            assertThat(ds.open.get()).as("the broken connection was given back").isZero();
            assertThat(relay.relayOnce().published()).isEqualTo(3);
            assertThat(ds.open.get()).isEqualTo(1);

            relay.close();
            assertThat(ds.open.get()).as("close gives the kept connection back").isZero();
            assertThat(LogFixture.readAll(log, "orders")).hasSize(18);
        }
    }

    @Test
    void aStartedRelayGivesItsKeptConnectionBackWhenItCloses() throws Exception {
        CountingDataSource ds = new CountingDataSource("jdbc:h2:mem:relay-started-" + System.nanoTime()
                + ";DB_CLOSE_DELAY=-1");
        OutboxTables tables = OutboxTables.defaults();
        OutboxSchema.create(ds, tables);
        try (EventLog log = LogFixture.open(logDir)) {
            LogFixture.createTopic(log, "orders", 2);
            OutboxRelay relay = OutboxRelay.start(ds, log, tables, RelayConfig.defaults()
                    .withPollInterval(Duration.ofMillis(5)), new SimpleMeterRegistry());
            add(ds, new Outbox(tables), 20, "a");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (OutboxAdmin.stats(ds, tables).pending() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(OutboxAdmin.stats(ds, tables).published()).isEqualTo(20);
            relay.close();
            assertThat(ds.open.get()).isZero();
        }
    }

    private static OutboxRelay relay(DataSource ds, EventLog log, RelayObserver observer) {
        return OutboxRelay.create(ds, log, OutboxTables.defaults(), RelayConfig.defaults()
                .withBackoff(Duration.ofMillis(1), Duration.ofMillis(5)), new SimpleMeterRegistry(), observer);
    }

    /**
     * Regression: close() closed the kept connection under a round running on another thread, so that round's commit
     * failed after the log had acknowledged its rows (published again by the next round). close() must let it finish
     * and commit, then give the connection back.
     */
    @Test
    void closeWaitsForARoundRunningOnAnotherThreadToCommitThenGivesTheConnectionBack() throws Exception {
        CountingDataSource ds = new CountingDataSource("jdbc:h2:mem:relay-close-" + System.nanoTime()
                + ";DB_CLOSE_DELAY=-1");
        OutboxTables tables = OutboxTables.defaults();
        OutboxSchema.create(ds, tables);
        CountDownLatch inRound = new CountDownLatch(1);
        CountDownLatch letGo = new CountDownLatch(1);
        RelayObserver holdsTheRound = new RelayObserver() {
            @Override
            public void published(List<UUID> eventIds) {
                inRound.countDown();
                try {
                    letGo.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (EventLog log = LogFixture.open(logDir)) {
            LogFixture.createTopic(log, "orders", 2);
            OutboxRelay relay = relay(ds, log, holdsTheRound);
            add(ds, new Outbox(tables), 5, "a");
            Future<RelayRound> round = threads.submit(relay::relayOnce);
            assertThat(inRound.await(20, TimeUnit.SECONDS)).isTrue();
            Future<?> closing = threads.submit(relay::close);
            assertThatThrownBy(() -> closing.get(300, TimeUnit.MILLISECONDS)).as("close waits for the round")
                    .isInstanceOf(TimeoutException.class);
            letGo.countDown();
            assertThat(round.get(20, TimeUnit.SECONDS).published()).isEqualTo(5);
            closing.get(20, TimeUnit.SECONDS);
            OutboxStats stats = OutboxAdmin.stats(ds, tables);
            assertThat(stats.published()).isEqualTo(5);
            assertThat(stats.pending()).isZero();
            assertThat(ds.open.get()).as("close gave the kept connection back").isZero();
        } finally {
            letGo.countDown();
            threads.shutdownNow();
        }
    }

    /** Regression: a relayOnce() after close() took a connection and kept it for ever. */
    @Test
    void relayOnceAfterCloseFailsAndTakesNoConnection() throws Exception {
        CountingDataSource ds = new CountingDataSource("jdbc:h2:mem:relay-closed-" + System.nanoTime()
                + ";DB_CLOSE_DELAY=-1");
        OutboxSchema.create(ds, OutboxTables.defaults());
        try (EventLog log = LogFixture.open(logDir)) {
            LogFixture.createTopic(log, "orders", 2);
            OutboxRelay relay = relay(ds, log, RelayObserver.NONE);
            relay.close();
            int before = ds.handedOut.get();
            assertThatThrownBy(relay::relayOnce).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("is closed");
            assertThat(ds.handedOut.get()).isEqualTo(before);
            assertThat(ds.open.get()).isZero();
        }
    }

    /**
     * Regression: an empty round returned without ending its transaction, so the kept connection idled inside an open
     * transaction between rounds.
     */
    @Test
    void anEmptyRoundEndsItsTransactionBeforeTheConnectionIdles() throws Exception {
        CountingDataSource ds = new CountingDataSource("jdbc:h2:mem:relay-empty-" + System.nanoTime()
                + ";DB_CLOSE_DELAY=-1");
        OutboxSchema.create(ds, OutboxTables.defaults());
        try (EventLog log = LogFixture.open(logDir)) {
            LogFixture.createTopic(log, "orders", 2);
            OutboxRelay relay = relay(ds, log, RelayObserver.NONE);
            for (int i = 0; i < 3; i++) {
                int before = ds.transactionEnds.get();
                assertThat(relay.relayOnce().claimed()).isZero();
                assertThat(ds.transactionEnds.get()).as("round %d ended its transaction", i).isGreaterThan(before);
            }
            assertThat(ds.open.get()).as("still kept between rounds").isEqualTo(1);
            relay.close();
        }
    }
}
