package io.tributary.eventstore.postgres;

import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.testdb.PooledTestDatabase;
import io.tributary.testdb.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real PostgreSQL for tests ({@link TestPostgres}: the server on 127.0.0.1:5432 when it is there, else an embedded
 * one; with {@code CI=true} and neither working, tests fail loudly). Every test store gets its own schema, dropped
 * when the JVM exits.
 */
public final class PostgresSupport {

    private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();
    private static boolean dropHookAdded;

    private PostgresSupport() {
    }

    /** The JDBC URL of the test server (starting an embedded one if needed). */
    public static synchronized String jdbcUrl() {
        String url = TestPostgres.jdbcUrl();
        if (!dropHookAdded) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> dropSchemas(url)));
            dropHookAdded = true;
        }
        return url;
    }

    /** A config for a fresh, uniquely named schema. */
    public static PostgresEventStoreConfig freshConfig() {
        String schema = PooledTestDatabase.unique("es_test", 16);
        SCHEMAS.add(schema);
        return PostgresEventStoreConfig.of(jdbcUrl()).withSchema(schema).withMaxPoolSize(16);
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), TestPostgres.user(), "");
    }

    private static void dropSchemas(String url) {
        try (Connection c = DriverManager.getConnection(url, TestPostgres.user(), ""); Statement st = c.createStatement()) {
            for (String s : SCHEMAS) {
                st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
            }
        } catch (SQLException ignored) {
            // best effort at exit; schemas are uniquely named, so a leftover never disturbs another run
        }
    }
}
