package io.tributary.testdb;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;

/**
 * The database servers tests run on: PostgreSQL (127.0.0.1:5432, database {@code postgres}, user {@code postgres},
 * trust), MariaDB (127.0.0.1:3306, database {@code test}, user {@code root}, no password) and H2 in memory (always
 * there). {@code .ci/run} starts the two servers.
 *
 * <p>Thread-safe (immutable).
 */
public enum TestServer {
    POSTGRESQL("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", 5432),
    MARIADB("jdbc:mariadb://127.0.0.1:3306/test", "root", 3306),
    H2(null, "sa", -1);

    /** The host every server listens on: tests never reach beyond this machine. */
    public static final String HOST = "127.0.0.1";

    private final @Nullable String url;
    private final String user;
    private final int port;

    TestServer(@Nullable String url, String user, int port) {
        this.url = url;
        this.user = user;
        this.port = port;
    }

    /**
     * The JDBC URL of this server. For H2, an in-memory database named {@code h2Database} that lives as long as the
     * JVM (and waits up to 10 s for a lock, like the servers do by default); the servers ignore the name.
     */
    public String jdbcUrl(String h2Database) {
        if (url != null) {
            return url;
        }
        if (h2Database.isBlank()) {
            throw new IllegalArgumentException("name the in-memory H2 database (e.g. the module name)");
        }
        return "jdbc:h2:mem:" + h2Database + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000";
    }

    public String user() {
        return user;
    }

    /** Every test server trusts local connections: the password is empty. */
    public String password() {
        return "";
    }

    /** The TCP port, or -1 for H2 in memory. */
    public int port() {
        return port;
    }

    /** The name used in pool names and messages, e.g. {@code postgresql}. */
    public String lowerName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Returns if the server accepts a TCP connection within 1 s (H2 always does). Otherwise fails the test with an
     * {@link IllegalStateException} when {@code CI=true} (CI must run every test), else skips it with a message that
     * names the service and how to start it. {@code suite} names the tests in that message, e.g. {@code "outbox"}.
     */
    public void requireReachable(String suite) {
        if (port < 0) {
            return;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(HOST, port), 1000);
        } catch (IOException e) {
            unavailable(name() + " is not reachable on " + HOST + ":" + port + " (" + e.getMessage() + "); start it "
                    + "(.ci/run does) to run the " + suite + " tests against it.", e);
        }
    }

    /**
     * The rule for a missing service: with {@code CI=true} the test fails (throws {@link IllegalStateException});
     * elsewhere it is skipped (aborted) with {@code message}. Never returns normally.
     */
    static void unavailable(String message, Throwable cause) {
        if (onCi()) {
            throw new IllegalStateException(message, cause);
        }
        Assumptions.abort(message);
    }

    /** Whether this run is CI ({@code CI=true}, case-insensitive), where a missing service is a failure. */
    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
