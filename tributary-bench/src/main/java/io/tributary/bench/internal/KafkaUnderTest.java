package io.tributary.bench.internal;

import io.tributary.testbroker.KafkaTestBroker;
import io.tributary.testbroker.KafkaTestBrokerConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The Kafka broker a run measures: one given by address, or a real Kafka 4 broker (KRaft, one combined node) started
 * in this JVM for the run by {@link KafkaTestBroker}, with its data under the run's scratch folder (the same file
 * system as our engine's) and the thread pools and timeouts of a stock {@code server.properties} ({@link #STOCK}), as
 * in the Kafka peer run.
 */
public final class KafkaUnderTest implements AutoCloseable {

    /**
     * Stock Kafka values for what the test broker tunes for fast tests, so the peer is the broker users run: thread
     * pools as in the peer run's {@code server.properties}, and stock liveness timeouts (the test broker's 3 s session
     * is meant for fast failover in tests, and could fence a broker that a loaded 2-core machine stalls).
     */
    static final java.util.Map<String, String> STOCK = java.util.Map.of(
            "num.network.threads", "3",
            "num.io.threads", "8",
            "background.threads", "10",
            "broker.heartbeat.interval.ms", "2000",
            "broker.session.timeout.ms", "9000",
            "replica.lag.time.max.ms", "30000",
            "log.retention.check.interval.ms", "300000");

    private final String bootstrapServers;
    private final @Nullable KafkaTestBroker owned;

    private KafkaUnderTest(String bootstrapServers, @Nullable KafkaTestBroker owned) {
        this.bootstrapServers = bootstrapServers;
        this.owned = owned;
    }

    /** Uses {@code bootstrapServers} if given, else starts a broker in this JVM with its data under {@code dir}. */
    public static KafkaUnderTest open(@Nullable String bootstrapServers, Path dir) {
        if (bootstrapServers != null) {
            return new KafkaUnderTest(bootstrapServers, null);
        }
        KafkaTestBroker broker = KafkaTestBroker.start(KafkaTestBrokerConfig.defaults()
                .withDataDirectory(dir)
                .withStartTimeout(Duration.ofSeconds(120))
                .withBrokerProperties(STOCK));
        return new KafkaUnderTest(broker.bootstrapServers(), broker);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
