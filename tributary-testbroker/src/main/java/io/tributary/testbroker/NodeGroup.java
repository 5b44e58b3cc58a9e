package io.tributary.testbroker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;

/**
 * The nodes of one in-JVM Kafka cluster and their life cycle; what {@link KafkaTestBroker} and
 * {@link KafkaTestCluster} share. Methods are synchronized: one start, stop or restart at a time.
 */
final class NodeGroup {

    /** How long stopping nodes may wait for the controller quorum before they are told to stop waiting. */
    static final Duration STOP_GRACE = Duration.ofSeconds(15);

    private final List<KafkaNode> nodes = new ArrayList<>();
    private final List<Thread> startThreads = new ArrayList<>();
    private final Path root;
    private final boolean ownsRoot;
    private final Duration startTimeout;
    private boolean closed;

    NodeGroup(int nodeCount, KafkaTestBrokerConfig config) {
        QuietLogging.apply();
        KafkaExit.keepJvmAlive();
        if (nodeCount < 1) {
            throw new IllegalArgumentException("nodeCount=" + nodeCount + " must be at least 1");
        }
        this.startTimeout = config.startTimeout();
        try {
            if (config.dataDirectory().isPresent()) {
                this.root = Files.createDirectories(config.dataDirectory().get());
                this.ownsRoot = false;
            } else {
                this.root = Files.createTempDirectory("tributary-kafka-");
                this.ownsRoot = true;
            }
        } catch (IOException e) {
            throw new IllegalStateException("Could not create the Kafka data folder: " + e.getMessage(), e);
        }
        int[] ports = KafkaNode.freePorts(2 * nodeCount);
        for (int i = 0; i < nodeCount; i++) {
            nodes.add(new KafkaNode(i + 1, ports[2 * i], ports[2 * i + 1], root.resolve("node-" + (i + 1))));
        }
        String voters = nodes.stream().map(KafkaNode::voter).collect(Collectors.joining(","));
        Map<String, String> props = new HashMap<>(KafkaNode.defaults(nodeCount, config.fsyncEveryMessage()));
        props.putAll(config.brokerProperties());
        String clusterId = Uuid.randomUuid().toString();
        try {
            for (KafkaNode n : nodes) {
                n.configure(props, voters);
                n.format(clusterId);
            }
            startNodes(nodes);
        } catch (Exception e) {
            close();
            throw e instanceof RuntimeException r ? r
                    : new IllegalStateException("Could not start Kafka (" + nodeCount + " nodes): " + e.getMessage(), e);
        }
    }

    int size() {
        return nodes.size();
    }

    synchronized String bootstrapServers() {
        String running = nodes.stream().filter(KafkaNode::isRunning).map(KafkaNode::address)
                .collect(Collectors.joining(","));
        return running.isEmpty() ? nodes.stream().map(KafkaNode::address).collect(Collectors.joining(",")) : running;
    }

    synchronized String allAddresses() {
        return nodes.stream().map(KafkaNode::address).collect(Collectors.joining(","));
    }

    Path dataDirectory() {
        return root;
    }

    synchronized boolean isRunning(int nodeId) {
        return node(nodeId).isRunning();
    }

    synchronized void stop(int nodeId) {
        node(nodeId).stop();
    }

    synchronized void start(int nodeId) {
        checkOpen();
        startNodes(List.of(node(nodeId)));
    }

    synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            // A node still starting (after a start timeout) must finish before its folder may be deleted.
            long deadline = System.nanoTime() + startTimeout.toNanos();
            for (Thread t : startThreads) {
                try {
                    t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            stopConcurrently(nodes);
        } finally {
            for (KafkaNode n : nodes) {
                KafkaNode.deleteTree(n.dataDir);
            }
            if (ownsRoot) {
                KafkaNode.deleteTree(root);
            }
        }
    }

    /**
     * Stops nodes at the same time. One after the other would hang: a broker's controlled shutdown needs the
     * controller quorum, which loses its majority once most nodes are gone. A node still stopping after
     * {@link #STOP_GRACE} is interrupted, which makes Kafka give up waiting for the quorum and finish its shutdown.
     */
    private static void stopConcurrently(List<KafkaNode> toStop) {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (KafkaNode n : toStop) {
            if (!n.isRunning()) {
                continue;
            }
            Thread t = new Thread(() -> {
                try {
                    n.stop();
                } catch (Throwable e) {
                    failures.add(e);
                }
            }, "kafka-test-node-" + n.nodeId + "-stop");
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        try {
            long deadline = System.nanoTime() + STOP_GRACE.toNanos();
            for (Thread t : threads) {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            }
            for (Thread t : threads) {
                if (t.isAlive()) {
                    t.interrupt();
                }
            }
            for (Thread t : threads) {
                t.join(STOP_GRACE.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!failures.isEmpty()) {
            IllegalStateException e = new IllegalStateException("Kafka nodes failed to stop cleanly: " + failures);
            failures.forEach(e::addSuppressed);
            throw e;
        }
    }

    private KafkaNode node(int nodeId) {
        if (nodeId < 1 || nodeId > nodes.size()) {
            throw new IllegalArgumentException("No node " + nodeId + "; nodes are numbered 1 to " + nodes.size());
        }
        return nodes.get(nodeId - 1);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("This Kafka test cluster is closed; start a new one");
        }
    }

    /** Starts the nodes concurrently (a KRaft node blocks until a quorum exists), then waits until all are brokers. */
    private void startNodes(List<KafkaNode> toStart) {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        List<CompletableFuture<Void>> starts = new ArrayList<>();
        startThreads.removeIf(t -> !t.isAlive());
        for (KafkaNode n : toStart) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    n.start();
                    f.complete(null);
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "kafka-test-node-" + n.nodeId + "-start");
            t.setDaemon(true);
            t.start();
            startThreads.add(t);
            starts.add(f);
        }
        try {
            CompletableFuture.allOf(starts.toArray(CompletableFuture[]::new))
                    .get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("A Kafka node failed to start: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Kafka nodes " + toStart.stream().map(n -> n.nodeId).toList()
                    + " did not start within " + startTimeout + "; raise KafkaTestBrokerConfig.startTimeout on a busy machine", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting Kafka", e);
        }
        awaitBrokers(deadline);
    }

    /** Waits until every running node is registered as an unfenced broker. */
    private void awaitBrokers(long deadlineNanos) {
        long expected = nodes.stream().filter(KafkaNode::isRunning).count();
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "5000");
        int seen = 0;
        try (Admin admin = Admin.create(p)) {
            while (System.nanoTime() < deadlineNanos) {
                try {
                    seen = admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).size();
                    if (seen >= expected) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    // not ready yet; retry until the deadline
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for Kafka brokers", e);
        }
        throw new IllegalStateException("Only " + seen + " of " + expected + " Kafka brokers registered within "
                + startTimeout + " on " + bootstrapServers());
    }
}
