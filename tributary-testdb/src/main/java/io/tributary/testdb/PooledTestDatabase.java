package io.tributary.testdb;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * One {@link TestServer} as a test suite uses it: a pooled {@link DataSource} shared by the whole test run, plus the
 * small statements tests need around it (drop, count, read strings). Other builds share the servers, so every test
 * names its tables with {@link #unique}.
 *
 * <p>The server is probed once, when the pool is first asked for: a probe per call (writer threads call
 * {@link #dataSource()} per transaction) made the server fork a backend each time, and on a loaded machine a probe
 * timed out mid-test and aborted it. The pool is never closed; it ends with the JVM.
 *
 * <p>Thread-safe. Every helper runs in its own auto-commit connection, so what it did is durable when it returns.
 */
public final class PooledTestDatabase {

    private final TestServer server;
    private final String suite;
    private final int maxPoolSize;
    private final String url;
    private volatile @Nullable HikariDataSource pool;

    /**
     * @param suite names the tests: the H2 database, the pool ({@code <suite>-test-<server>}) and the message when
     *     the server is missing
     * @param maxPoolSize connections at most; as many as the suite's most concurrent test uses
     */
    public PooledTestDatabase(TestServer server, String suite, int maxPoolSize) {
        if (suite.isBlank() || !suite.matches("[a-z][a-z0-9_-]*")) {
            throw new IllegalArgumentException("suite must be a short lower-case name such as \"outbox\", was \""
                    + suite + "\"");
        }
        if (maxPoolSize < 1) {
            throw new IllegalArgumentException("maxPoolSize must be at least 1, was " + maxPoolSize);
        }
        this.server = server;
        this.suite = suite;
        this.maxPoolSize = maxPoolSize;
        this.url = server.jdbcUrl(suite);
    }

    public TestServer server() {
        return server;
    }

    /** The JDBC URL, for code under test that opens its own connections or pool. */
    public String url() {
        return url;
    }

    public String user() {
        return server.user();
    }

    public String password() {
        return server.password();
    }

    /**
     * The shared pool, created on first use. A server that is not reachable fails the test on CI and skips it
     * elsewhere (see {@link TestServer#requireReachable}).
     */
    public DataSource dataSource() {
        HikariDataSource existing = pool;
        if (existing != null) {
            return existing;
        }
        synchronized (this) {
            if (pool == null) {
                server.requireReachable(suite);
                HikariConfig c = new HikariConfig();
                c.setJdbcUrl(url);
                c.setUsername(server.user());
                c.setPassword(server.password());
                c.setMaximumPoolSize(maxPoolSize);
                c.setPoolName(suite + "-test-" + server.lowerName());
                c.setConnectionTimeout(10_000);
                pool = new HikariDataSource(c);
            }
            return pool;
        }
    }

    /** {@code base + "_" + hexChars} random hex digits: a name no other test, build or engineer uses. */
    public static String unique(String base, int hexChars) {
        return base + "_" + randomHex(hexChars);
    }

    /** {@code hexChars} random lower-case hex digits (8 to 32), for a test that builds several names on one suffix. */
    public static String randomHex(int hexChars) {
        if (hexChars < 8 || hexChars > 32) {
            throw new IllegalArgumentException("use 8 to 32 random hex digits (fewer collide, a UUID has 32), was "
                    + hexChars);
        }
        return UUID.randomUUID().toString().replace("-", "").substring(0, hexChars);
    }

    /** Runs each statement in order, auto-committed; the first failure stops and names the statement. */
    public void execute(List<String> statements) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String sql : statements) {
                try {
                    s.execute(sql);
                } catch (SQLException e) {
                    throw new IllegalStateException("test statement failed on " + server + ": " + sql, e);
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("no connection to " + server + " for " + statements, e);
        }
    }

    /** {@code DROP TABLE IF EXISTS} each table, in order. */
    public void dropTables(String... tables) {
        List<String> statements = new ArrayList<>(tables.length);
        for (String t : tables) {
            statements.add("DROP TABLE IF EXISTS " + t);
        }
        execute(statements);
    }

    /** The first column of the single row {@code sql} returns, as a long (e.g. a {@code count(*)}). */
    public long count(String sql) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("no row from " + sql + " on " + server);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    /** The first column of every row {@code sql} returns, as strings, in the order the database returned them. */
    public List<String> strings(String sql) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
                out.add(rs.getString(1));
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    @Override
    public String toString() {
        return suite + " on " + server;
    }
}
