package io.tributary.examples;

import io.tributary.log.TopicPartition;
import io.tributary.processing.BeforeOffsetCommit;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Makes every H2 commit that returned so far durable before a processor commits its log offsets: a
 * {@link BeforeOffsetCommit} hook that runs H2's {@code CHECKPOINT}, which in H2 2.3 (MVStore) runs
 * {@code MVStore.commit()}, writing every change in memory to the database file (committed transactions included)
 * before it returns, as {@code WRITE_DELAY=0} does inside each commit. Without it a process killed within H2's write
 * delay (500 ms) after an offset commit lost the rows of events the log already counted as done: never redelivered
 * ({@code PaymentsKillTest}). The write goes to the operating system's page cache without an fsync: it survives a
 * process kill, not a power loss or an OS crash.
 *
 * <p><b>Its own connection, not the services' pool.</b> The hook runs on the processor's poll loop, so whatever it
 * waits for stops polling, dispatch and completions. A connection borrowed from the pool the handlers use would wait
 * for a free one whenever the handlers hold them all, up to the pool's connection timeout (HikariCP's default 30 s),
 * and the handlers' calls cannot finish without the poll loop applying their completions. So it keeps one connection
 * of its own, opened on first use the way the demo's pool opens its connections (its URL, its user if it sets one,
 * nothing else); a statement that fails closes it, and the next offset commit opens a fresh one. What it can still wait for is H2 itself: the store's lock while H2's
 * background writer is writing, i.e. one page write.
 *
 * <p>Only for H2 ({@code CHECKPOINT} needs H2's admin right, which the demo's user has as the database's creator); an
 * external database whose commit is durable when it returns needs no hook.
 *
 * <p><b>Thread-safety:</b> safe to share; runs are serialized on one connection. <b>Lifecycle:</b> {@link #close}
 * after the processors that use it are closed (their final commit runs the hook) and before the pool, so that the
 * pool's last connection is the one that closes the database; a run after {@code close} fails, which skips that
 * offset commit rather than opening a connection nobody would close.
 */
public final class H2Checkpoint implements BeforeOffsetCommit, AutoCloseable {

    private final String jdbcUrl;
    private final Optional<String> user;
    private final ReentrantLock lock = new ReentrantLock();
    private @Nullable Connection connection;
    private boolean closed;

    /**
     * @param jdbcUrl an H2 URL ({@code jdbc:h2:...}), the one the services' pool uses
     * @param user    the pool's user, if it sets one (H2's default otherwise); H2's {@code CHECKPOINT} needs an admin
     */
    public H2Checkpoint(String jdbcUrl, Optional<String> user) {
        this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        this.user = Objects.requireNonNull(user, "user");
        if (!jdbcUrl.startsWith("jdbc:h2:")) {
            throw new IllegalArgumentException("H2Checkpoint runs H2's CHECKPOINT, but the URL '" + jdbcUrl
                    + "' is not an H2 URL; set no beforeOffsetCommit hook for a database whose commits are durable "
                    + "when they return");
        }
    }

    @Override
    public void run(Map<TopicPartition, Long> offsets) throws SQLException {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("H2 CHECKPOINT for " + jdbcUrl + " was closed, so the offset commit "
                        + "it was asked to precede is skipped; close the processors before their hook");
            }
            Connection c = connection;
            if (c == null) {
                c = DriverManager.getConnection(jdbcUrl, connectionProperties());
                connection = c;
            }
            try (Statement s = c.createStatement()) {
                s.execute("CHECKPOINT");
            } catch (SQLException | RuntimeException e) {
                // A broken session (the database was closed under it, say) would fail every later run too.
                connection = null;
                closeQuietly(c, e);
                throw e;
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * What the pool passes to the driver: a user only when one is set, no password (the demo takes none). H2 refuses a
     * setting given both in the URL and as a property with another value, so a fixed empty user and password failed
     * every run for a URL carrying {@code USER=...;PASSWORD=...}, which the pool accepts.
     */
    private Properties connectionProperties() {
        Properties p = new Properties();
        user.ifPresent(u -> p.setProperty("user", u));
        return p;
    }

    @Override
    public void close() throws SQLException {
        lock.lock();
        try {
            closed = true;
            Connection c = connection;
            connection = null;
            if (c != null) {
                c.close();
            }
        } finally {
            lock.unlock();
        }
    }

    private static void closeQuietly(Connection c, Exception cause) {
        try {
            c.close();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public String toString() {
        return "H2 CHECKPOINT";
    }
}
