package io.tributary.testbroker;

import java.nio.file.Path;

/**
 * Several real Apache Kafka nodes in this JVM, each in KRaft combined mode (broker and controller), forming one
 * cluster with a controller quorum of all nodes. Any node can be stopped and restarted; with 3 nodes the cluster
 * keeps working while one is down (the quorum keeps its majority). Nodes are numbered from 1.
 *
 * <p>Defaults are those of {@link KafkaTestBroker}, with internal-topic replication factors of min(3, nodes) and
 * {@code transaction.state.log.min.isr=min(2, nodes)}. Topic replication factor and {@code min.insync.replicas} are
 * per topic: e.g. {@code createTopic("t", 3, (short) 3, Map.of("min.insync.replicas", "2"))}. Thread-safe.
 */
public final class KafkaTestCluster implements KafkaEndpoint {

    private final NodeGroup nodes;

    private KafkaTestCluster(int nodeCount, KafkaTestBrokerConfig config) {
        this.nodes = new NodeGroup(nodeCount, config);
    }

    /** Starts {@code nodeCount} nodes with the test defaults; returns once all are registered brokers. */
    public static KafkaTestCluster start(int nodeCount) {
        return start(nodeCount, KafkaTestBrokerConfig.defaults());
    }

    public static KafkaTestCluster start(int nodeCount, KafkaTestBrokerConfig config) {
        return new KafkaTestCluster(nodeCount, config);
    }

    /** The addresses of every node, stopped or not (clients skip the unreachable ones). */
    @Override
    public String bootstrapServers() {
        return nodes.allAddresses();
    }

    /** The addresses of the running nodes only. */
    public String runningBootstrapServers() {
        return nodes.bootstrapServers();
    }

    @Override
    public int nodeCount() {
        return nodes.size();
    }

    public Path dataDirectory() {
        return nodes.dataDirectory();
    }

    public boolean isRunning(int nodeId) {
        return nodes.isRunning(nodeId);
    }

    /** Orderly shutdown of one node (its partition leaderships move first); its data is kept. */
    public void stopNode(int nodeId) {
        nodes.stop(nodeId);
    }

    /** Starts a stopped node again with its old port and data; it rejoins and catches up. */
    public void restartNode(int nodeId) {
        nodes.start(nodeId);
    }

    @Override
    public void close() {
        nodes.close();
    }

    @Override
    public String toString() {
        return "KafkaTestCluster[" + bootstrapServers() + ", data=" + dataDirectory() + "]";
    }
}
