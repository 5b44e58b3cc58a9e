package io.tributary.testbroker;

import java.nio.file.Path;
import org.jspecify.annotations.Nullable;

/**
 * One real Apache Kafka broker (KRaft combined mode: broker and controller in one node) running inside this JVM, on
 * 127.0.0.1 with free ports and a temporary data folder.
 *
 * <pre>{@code
 * try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
 *     kafka.createTopic("orders", 3);
 *     Properties p = kafka.clientProperties();   // bootstrap.servers=127.0.0.1:<port>
 *     ...
 * }
 * }</pre>
 *
 * <p><b>Defaults</b> (each overridable with {@link KafkaTestBrokerConfig#withBrokerProperty}):
 * {@code auto.create.topics.enable=false}, {@code num.partitions=1}, replication factors of the internal topics
 * ({@code __consumer_offsets}, {@code __transaction_state}) equal to the node count (at most 3) with 3 partitions each,
 * {@code group.initial.rebalance.delay.ms=0}, {@code group.min.session.timeout.ms=500},
 * {@code log.retention.check.interval.ms=1000}, {@code log.cleaner.backoff.ms=200},
 * {@code log.initial.task.delay.ms=0}, small thread pools, and stock durability (ack from the page cache;
 * {@link KafkaTestBrokerConfig#withFsyncEveryMessage} or a topic with {@link KafkaEndpoint#FSYNC_EVERY_MESSAGE} for
 * fsync before every ack).
 *
 * <p><b>Lifecycle.</b> {@link #stop()} shuts the broker down and keeps its data; {@link #restart()} brings it back on
 * the same port with the same data; {@link #close()} stops it and deletes the data. Thread-safe.
 *
 * <p>{@link #shared()} gives one broker per JVM for test suites that can share it (topics must then have unique names).
 */
public final class KafkaTestBroker implements KafkaEndpoint {

    private static @Nullable KafkaTestBroker shared;

    private final NodeGroup nodes;

    private KafkaTestBroker(KafkaTestBrokerConfig config) {
        this.nodes = new NodeGroup(1, config);
    }

    /** Starts a broker with the test defaults; returns once it accepts clients. */
    public static KafkaTestBroker start() {
        return start(KafkaTestBrokerConfig.defaults());
    }

    /** Starts a broker; returns once it accepts clients. Fails after {@link KafkaTestBrokerConfig#startTimeout}. */
    public static KafkaTestBroker start(KafkaTestBrokerConfig config) {
        return new KafkaTestBroker(config);
    }

    /**
     * One broker with the test defaults shared by everything in this JVM, started on first use and closed when the
     * JVM exits. Do not stop or close it; use unique topic and group names.
     */
    public static synchronized KafkaTestBroker shared() {
        if (shared == null) {
            KafkaTestBroker b = start();
            Thread hook = new Thread(b::closeQuietly, "kafka-test-broker-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            shared = b;
        }
        return shared;
    }

    /** {@code 127.0.0.1:<port>}. The port stays the same across {@link #restart()}. */
    @Override
    public String bootstrapServers() {
        return nodes.allAddresses();
    }

    @Override
    public int nodeCount() {
        return 1;
    }

    /** The folder holding the broker's data (and its KRaft metadata log). */
    public Path dataDirectory() {
        return nodes.dataDirectory();
    }

    public boolean isRunning() {
        return nodes.isRunning(1);
    }

    /** Orderly shutdown; the data is kept for {@link #restart()}. Clients see the broker as unreachable. */
    public void stop() {
        nodes.stop(1);
    }

    /** Starts a stopped broker again on the same port with the same data. No-op when running. */
    public void restart() {
        nodes.start(1);
    }

    @Override
    public void close() {
        nodes.close();
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException ignored) {
            // JVM exit: nothing left to report to
        }
    }

    @Override
    public String toString() {
        return "KafkaTestBroker[" + bootstrapServers() + ", data=" + dataDirectory() + "]";
    }
}
