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

    /**
     * What the bench changes from stock, none of it on the measured path: the files of a deleted topic go at once
     * ({@code log.segment.delete.delay.ms}, stock 60 s). The suite deletes every trial's topic right after it; with
     * the stock delay, the 100-500 MB of page cache a {@code fsync=never} trial dirtied stayed in files for 60 s,
     * past the kernel's 30 s writeback age, so the disk wrote each trial's log back during some later trial of
     * either client, and the files' deletion itself landed a minute later in yet another. Deleted at once, their
     * dirty pages are dropped unwritten.
     */
    static final java.util.Map<String, String> BENCH = java.util.Map.of(
            "log.segment.delete.delay.ms", "0");

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
                .withBrokerProperties(brokerProperties()));
        return new KafkaUnderTest(broker.bootstrapServers(), broker);
    }

    /** {@link #STOCK} and {@link #BENCH}. */
    static java.util.Map<String, String> brokerProperties() {
        java.util.Map<String, String> all = new java.util.HashMap<>(STOCK);
        all.putAll(BENCH);
        return all;
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
