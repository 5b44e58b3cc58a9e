package io.tributary.bench.internal;

import io.tributary.testbroker.KafkaTestBroker;
import io.tributary.testbroker.KafkaTestBrokerConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.jspecify.annotations.Nullable;

/**
 * The Kafka broker a run measures: one given by address, or a real Kafka 4 broker (KRaft, one combined node) started
 * in this JVM for the run by {@link KafkaTestBroker}, with its data under the run's scratch folder (the same file
 * system as our engine's) and the thread pools of a stock {@code server.properties}, as in the Kafka peer run.
 */
public final class KafkaUnderTest implements AutoCloseable {

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
                // Stock thread pools, as the peer's server.properties; the test defaults are smaller.
                .withBrokerProperty("num.network.threads", "3")
                .withBrokerProperty("num.io.threads", "8"));
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
