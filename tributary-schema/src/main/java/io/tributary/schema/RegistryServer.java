package io.tributary.schema;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.schema.internal.RestHandler;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.jspecify.annotations.Nullable;

/**
 * Serves the Confluent-compatible REST API of a {@link SchemaRegistry} over HTTP, on Jetty 12 with request handling
 * on virtual threads. Binds to 127.0.0.1 unless told otherwise.
 *
 * <pre>{@code
 * try (RegistryServer server = RegistryServer.start("127.0.0.1", 8081, Path.of("data"))) {
 *     // http://127.0.0.1:8081/subjects ...
 * }
 * }</pre>
 *
 * <p>The full Tributary server mounts {@link #handler(SchemaRegistry)} under a context path instead.
 * <p>Thread-safe. {@link #stop()} stops accepting requests, lets running ones finish (up to 5 s), then closes what
 * this server opened (the registry and, if it opened it, the log).
 */
public final class RegistryServer implements AutoCloseable {

    /** The host bound by default: loopback only, so a registry is never exposed by accident. */
    public static final String DEFAULT_HOST = "127.0.0.1";
    /** Confluent Schema Registry's port. */
    public static final int DEFAULT_PORT = 8081;

    private final Server server;
    private final SchemaRegistry registry;
    private final @Nullable EventLog ownedLog;
    private final boolean ownsRegistry;
    private final int port;

    private RegistryServer(Server server, SchemaRegistry registry, @Nullable EventLog ownedLog, boolean ownsRegistry,
                           int port) {
        this.server = server;
        this.registry = registry;
        this.ownedLog = ownedLog;
        this.ownsRegistry = ownsRegistry;
        this.port = port;
    }

    /** The REST API as a Jetty handler, for mounting in another server (e.g. under a {@code ContextHandler}). */
    public static Handler handler(SchemaRegistry registry) {
        return new RestHandler(registry);
    }

    /**
     * Opens the embedded event log in {@code dataDir} and serves a registry stored in it on {@code host:port}
     * ({@code port} 0 picks a free one; see {@link #port()}).
     */
    public static RegistryServer start(String host, int port, Path dataDir) {
        EventLog log = EventLogs.open(Map.of(EventLogs.BACKEND, "embedded", "tributary.log.embedded.data-dir",
                dataDir.toString()));
        try {
            SchemaRegistry registry = SchemaRegistry.open(log);
            return start(host, port, registry, log, true);
        } catch (RuntimeException e) {
            log.close();
            throw e;
        }
    }

    /** Serves a registry stored in {@code log}; the caller keeps ownership of the log. */
    public static RegistryServer start(String host, int port, EventLog log) {
        return start(host, port, SchemaRegistry.open(log), null, true);
    }

    /** Serves an existing registry; the caller keeps ownership of it. */
    public static RegistryServer start(String host, int port, SchemaRegistry registry) {
        return start(host, port, registry, null, false);
    }

    private static RegistryServer start(String host, int port, SchemaRegistry registry, @Nullable EventLog ownedLog,
                                        boolean ownsRegistry) {
        if (port < 0 || port > 65_535) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Port " + port + " is out of range; use 1 to "
                    + "65535, or 0 for any free port (the default is " + DEFAULT_PORT + ")");
        }
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("registry-http");
        // Selectors stay on a few platform threads; each request is handled on its own virtual thread.
        threads.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("registry-request-", 0).factory()));
        Server server = new Server(threads);
        ServerConnector connector = new ServerConnector(server, 1, 1);
        connector.setHost(host);
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new RestHandler(registry));
        server.setStopTimeout(5_000);
        try {
            server.start();
        } catch (Exception e) {
            try {
                server.stop();
            } catch (Exception ignored) {
                // the bind failure is the error worth reporting
            }
            if (ownsRegistry) {
                registry.close();
            }
            if (ownedLog != null) {
                ownedLog.close();
            }
            throw new RetriableException(ErrorCode.UNAVAILABLE, "The schema registry could not listen on " + host + ":"
                    + port + ": " + e.getMessage() + "; pick another port with --port, or stop what uses it", e);
        }
        return new RegistryServer(server, registry, ownedLog, ownsRegistry, connector.getLocalPort());
    }

    /**
     * The entry point for {@code tributary registry --port 8081 [--host H] [--data-dir DIR]}: starts a server, prints
     * where it listens, and blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then stops cleanly.
     */
    public static void run(String host, int port, Path dataDir) throws InterruptedException {
        RegistryServer server = start(host, port, dataDir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop();
            stopped.countDown();
        }, "registry-shutdown"));
        System.out.println("Schema registry listening on http://" + host + ":" + server.port() + " (data in "
                + dataDir.toAbsolutePath() + "); Ctrl-C to stop");
        stopped.await();
    }

    /** The port bound. */
    public int port() {
        return port;
    }

    /** The address bound, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        ServerConnector c = (ServerConnector) server.getConnectors()[0];
        String host = c.getHost() == null ? DEFAULT_HOST : c.getHost();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(((ServerConnector) server.getConnectors()[0]).getHost(), port);
    }

    /** The registry served. */
    public SchemaRegistry registry() {
        return registry;
    }

    /** Stops serving and closes what this server opened. Idempotent. */
    public synchronized void stop() {
        if (!server.isStopped()) {
            try {
                server.stop();
            } catch (Exception e) {
                throw new RetriableException(ErrorCode.INTERNAL, "The schema registry's HTTP server did not stop "
                        + "cleanly: " + e, e);
            } finally {
                if (ownsRegistry) {
                    registry.close();
                }
                if (ownedLog != null) {
                    ownedLog.close();
                }
            }
        }
    }

    @Override
    public void close() {
        stop();
    }
}
