package io.tributary.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
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
 * The real databases the outbox runs on: PostgreSQL and MariaDB on 127.0.0.1, and H2 in memory. One pool per
 * database for the whole test run. A missing server fails the test when {@code CI=true}, else skips it naming the
 * service.
 */
enum TestDatabase {
    POSTGRESQL(OutboxDialect.POSTGRESQL, "jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "", 5432),
    MARIADB(OutboxDialect.MARIADB, "jdbc:mariadb://127.0.0.1:3306/test", "root", "", 3306),
    H2(OutboxDialect.H2, "jdbc:h2:mem:outbox;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000", "sa", "", -1);

    private static final Map<TestDatabase, HikariDataSource> POOLS = new ConcurrentHashMap<>();

    final OutboxDialect dialect;
    private final String url;
    private final String user;
    private final String password;
    private final int port;

    TestDatabase(OutboxDialect dialect, String url, String user, String password, int port) {
        this.dialect = dialect;
        this.url = url;
        this.user = user;
        this.password = password;
        this.port = port;
    }

    /** A shared pool; the server must be reachable. */
    DataSource dataSource() {
        HikariDataSource existing = POOLS.get(this);
        if (existing != null) {
            // Probed once: a raw TCP probe per call (writer threads call this per transaction) made the server fork a
            // backend each time, and on a loaded machine a probe timed out mid-test and aborted it.
            return existing;
        }
        requireServer();
        return POOLS.computeIfAbsent(this, d -> {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(url);
            c.setUsername(user);
            c.setPassword(password);
            c.setMaximumPoolSize(24);
            c.setPoolName("outbox-test-" + name().toLowerCase(Locale.ROOT));
            c.setConnectionTimeout(10_000);
            return new HikariDataSource(c);
        });
    }

    /** Fresh tables with unique names, created through {@link OutboxSchema#create}. */
    OutboxTables freshTables() {
        String suffix = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        OutboxTables tables = new OutboxTables("ob_" + suffix, "ib_" + suffix);
        OutboxSchema.create(dataSource(), tables);
        return tables;
    }

    void drop(OutboxTables tables) {
        List<String> stmts = new ArrayList<>(List.of("DROP TABLE IF EXISTS " + tables.outbox(),
                "DROP TABLE IF EXISTS " + tables.keys(), "DROP TABLE IF EXISTS " + tables.inbox()));
        if (dialect == OutboxDialect.POSTGRESQL) {
            stmts.add("DROP FUNCTION IF EXISTS " + tables.outbox() + "_notify()");
        }
        try (Connection c = dataSource().getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            for (String stmt : stmts) {
                s.execute(stmt);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop test tables " + tables, e);
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
                    + "(.ci/run does) to run the outbox tests against it.";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(msg, e);
            }
            Assumptions.abort(msg);
        }
    }
}
