package io.tributary.testbroker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.jspecify.annotations.Nullable;

/**
 * One KRaft node in combined mode (broker and controller in this JVM). Its ports and data folder are fixed at
 * creation, so a stopped node restarts with the same identity, address and data. Not thread-safe: the owning
 * {@link KafkaTestBroker} or {@link KafkaTestCluster} serialises calls.
 */
final class KafkaNode {

    /** Properties the launcher sets per node; a user override of these would break the quorum. */
    static final List<String> LAUNCHER_OWNED = List.of("process.roles", "node.id", "controller.quorum.voters",
            "controller.quorum.bootstrap.servers", "listeners", "advertised.listeners", "controller.listener.names",
            "inter.broker.listener.name", "listener.security.protocol.map", "log.dirs", "log.dir");

    static final String LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";

    final int nodeId;
    final int port;
    final int controllerPort;
    final Path dataDir;
    private volatile @Nullable KafkaRaftServer server;
    private volatile boolean running;
    private @Nullable Map<String, String> properties;

    KafkaNode(int nodeId, int port, int controllerPort, Path dataDir) {
        this.nodeId = nodeId;
        this.port = port;
        this.controllerPort = controllerPort;
        this.dataDir = dataDir;
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    boolean isRunning() {
        return running;
    }

    /** Test defaults for a cluster of {@code nodes} combined nodes; the user's properties are applied on top. */
    static Map<String, String> defaults(int nodes, boolean fsyncEveryMessage) {
        String rf = String.valueOf(Math.min(3, nodes));
        String minIsr = String.valueOf(Math.min(2, nodes));
        Map<String, String> p = new LinkedHashMap<>();
        p.put("num.partitions", "1");
        p.put("default.replication.factor", rf);
        p.put("min.insync.replicas", "1");
        p.put("auto.create.topics.enable", "false");
        p.put("offsets.topic.replication.factor", rf);
        p.put("offsets.topic.num.partitions", "3");
        p.put("transaction.state.log.replication.factor", rf);
        p.put("transaction.state.log.min.isr", minIsr);
        p.put("transaction.state.log.num.partitions", "3");
        p.put("share.coordinator.state.topic.replication.factor", rf);
        p.put("share.coordinator.state.topic.min.isr", minIsr);
        // Tests join groups often; the stock 3 s initial delay and 6 s minimum session would dominate their run time.
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("group.min.session.timeout.ms", "500");
        // Retention and compaction tests should not wait for the stock 5 min / 15 s / 30 s timers.
        p.put("log.retention.check.interval.ms", "1000");
        // Keep records forever unless a topic sets retention: tests write records with timestamps far in the past
        // (e.g. 1000 ms after the epoch), and Kafka deletes even the active segment once its newest record is older
        // than retention.ms (7 days by default); with a 1 s check interval they would vanish within a second.
        p.put("log.retention.ms", "-1");
        p.put("log.cleaner.backoff.ms", "200");
        p.put("log.initial.task.delay.ms", "0");
        // Two cores are shared by many JVMs: keep the thread pools small.
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("background.threads", "2");
        p.put("num.replica.fetchers", "1");
        p.put("num.recovery.threads.per.data.dir", "1");
        p.put("log.cleaner.threads", "1");
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(16 * 1024 * 1024));
        // Faster failure detection when a node of a cluster stops.
        p.put("broker.heartbeat.interval.ms", "500");
        p.put("broker.session.timeout.ms", "3000");
        p.put("replica.lag.time.max.ms", "5000");
        if (fsyncEveryMessage) {
            p.put("log.flush.interval.messages", "1");
        }
        return p;
    }

    /** Writes this node's full broker config (defaults, user overrides, then identity and listeners). */
    void configure(Map<String, String> defaultsAndOverrides, String quorumVoters) {
        Map<String, String> p = new LinkedHashMap<>(defaultsAndOverrides);
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(nodeId));
        p.put("controller.quorum.voters", quorumVoters);
        p.put("listeners", LISTENER + "://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", LISTENER + "://127.0.0.1:" + port);
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", LISTENER);
        p.put("listener.security.protocol.map", CONTROLLER_LISTENER + ":PLAINTEXT," + LISTENER + ":PLAINTEXT");
        p.put("log.dirs", dataDir.toString());
        this.properties = p;
    }

    String voter() {
        return nodeId + "@127.0.0.1:" + controllerPort;
    }

    /** Formats the data folder for {@code clusterId} (what {@code kafka-storage.sh format} does). */
    void format(String clusterId) throws Exception {
        Files.createDirectories(dataDir);
        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                .setClusterId(clusterId)
                .setNodeId(nodeId)
                .setControllerListenerName(CONTROLLER_LISTENER)
                .setMetadataLogDirectory(dataDir.toString())
                .setDirectories(Set.of(dataDir.toString()))
                .setReleaseVersion(MetadataVersion.latestProduction())
                .run();
    }

    /**
     * Starts the node. Blocks until the broker has caught up with the metadata quorum, so in a cluster the nodes
     * must be started concurrently (a lone node of three cannot elect a controller).
     */
    void start() {
        if (running) {
            return;
        }
        if (properties == null) {
            throw new IllegalStateException("node " + nodeId + " is not configured");
        }
        KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(properties, false), Time.SYSTEM);
        server = s;
        try {
            s.startup();
        } catch (RuntimeException e) {
            server = null;
            shutdownQuietly(s);
            throw e;
        }
        running = true;
    }

    /** Orderly shutdown (controlled shutdown: leadership moves away first). Keeps the data. */
    void stop() {
        KafkaRaftServer s = server;
        server = null;
        running = false;
        if (s != null) {
            s.shutdown();
            s.awaitShutdown();
        }
    }

    private static void shutdownQuietly(KafkaRaftServer s) {
        try {
            s.shutdown();
            s.awaitShutdown();
        } catch (RuntimeException ignored) {
            // the start failure is what the caller needs to see
        }
    }

    /** {@code count} distinct free ports on 127.0.0.1, held open together so none is handed out twice. */
    static int[] freePorts(int count) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[count];
            for (int i = 0; i < count; i++) {
                ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new IllegalStateException("Could not find " + count + " free ports on 127.0.0.1", e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // a port we only probed
                }
            }
        }
    }

    /** Deletes a folder tree; best effort (a file still mapped by a stopped broker on some OSes may remain). */
    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort; the folder is under the temp dir
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
