package io.tributary.projection;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import org.junit.jupiter.api.Assumptions;

/**
 * The real databases read models run on: PostgreSQL and MariaDB on 127.0.0.1, and H2 in memory. One pool per database for the
 * run. A missing server fails the test when {@code CI=true}, else skips it naming the service. Every test uses its own
 * catalog prefix and table names, since other builds share the databases.
 */
enum TestDatabase {
    POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", 5432),
    MARIADB("jdbc:mariadb://127.0.0.1:3306/test", "root", 3306),
    H2("jdbc:h2:mem:projection;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", -1);

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
            c.setMaximumPoolSize(16);
            c.setPoolName("projection-test-" + name().toLowerCase(Locale.ROOT));
            c.setConnectionTimeout(10_000);
            return new HikariDataSource(c);
        });
    }

    static String unique(String base) {
        return base + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    }

    long count(String sql) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException(sql, e);
        }
    }

    List<String> strings(String sql) {
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

    /** Drops the catalog tables of a test's prefix and the given physical tables. */
    void drop(String prefix, List<String> tables) {
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String t : tables) {
                s.execute("DROP TABLE IF EXISTS " + t);
            }
            s.execute("DROP TABLE IF EXISTS " + prefix + "_versions");
            s.execute("DROP TABLE IF EXISTS " + prefix + "_checkpoints");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test tables of " + prefix, e);
        }
    }

    private void requireServer() {
        if (port < 0) {
            return;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
        } catch (java.io.IOException e) {
            String msg = name() + " is not reachable on 127.0.0.1:" + port + " (" + e.getMessage() + "); start it "
                    + "(.ci/run does) to run the projection tests against it.";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(msg, e);
            }
            Assumptions.abort(msg);
        }
    }
}
