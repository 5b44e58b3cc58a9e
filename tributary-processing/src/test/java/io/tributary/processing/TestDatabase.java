package io.tributary.processing;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * The real databases the JDBC dedupe store runs on: PostgreSQL and MariaDB on 127.0.0.1, H2 in memory. One pool per
 * database for the test run. A missing server fails the test when {@code CI=true}, else skips it naming the service.
 */
enum TestDatabase {
    POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", 5432),
    MARIADB("jdbc:mariadb://127.0.0.1:3306/test", "root", 3306),
    H2("jdbc:h2:mem:dedupe;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", -1);

    private static final Map<TestDatabase, HikariDataSource> POOLS = new ConcurrentHashMap<>();

    final String url;
    final String user;
    private final int port;

    TestDatabase(String url, String user, int port) {
        this.url = url;
        this.user = user;
        this.port = port;
    }

    DataSource dataSource() {
        requireServer();
        return POOLS.computeIfAbsent(this, d -> {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(url);
            c.setUsername(user);
            c.setPassword("");
            c.setMaximumPoolSize(24);
            c.setPoolName("dedupe-test-" + name().toLowerCase(Locale.ROOT));
            c.setConnectionTimeout(10_000);
            return new HikariDataSource(c);
        });
    }

    /** A table name no other test (or helper sharing the database) uses. */
    static String uniqueTable(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    void drop(String table) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute("DROP TABLE IF EXISTS " + table);
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test table " + table, e);
        }
    }

    void requireServer() {
        if (port < 0) {
            return;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        } catch (java.io.IOException e) {
            String msg = name() + " is not reachable on 127.0.0.1:" + port + " (" + e.getMessage() + "); start it "
                    + "(.ci/run does) to run the dedupe tests against it.";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(msg, e);
            }
            Assumptions.abort(msg);
        }
    }
}
