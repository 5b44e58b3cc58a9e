package io.tributary.testbroker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How to start in-JVM Kafka brokers. Immutable; {@code with*} methods return copies; all problems are reported at once.
 *
 * @param brokerProperties   Kafka broker properties that replace or add to the test defaults (see
 *                           {@link KafkaTestBroker} for the defaults); the listener, node-id and quorum properties are
 *                           always set by the launcher
 * @param dataDirectory      parent folder for the nodes' data; default a new temporary folder, deleted by
 *                           {@code close()} (a given folder is left in place, only the node folders inside are removed)
 * @param startTimeout       how long a start or restart may take before it fails; default 120 s (three nodes
 *                           in one JVM on two busy cores can take over a minute)
 * @param fsyncEveryMessage  broker-wide {@code log.flush.interval.messages=1}: every append is fsynced before the ack
 *                           on every topic (for benchmarks comparing durable modes); default false (stock Kafka: ack
 *                           from the page cache). Per topic, use {@link KafkaEndpoint#FSYNC_EVERY_MESSAGE}.
 */
public record KafkaTestBrokerConfig(Map<String, String> brokerProperties, Optional<Path> dataDirectory,
                                    Duration startTimeout, boolean fsyncEveryMessage) {

    public KafkaTestBrokerConfig {
        Objects.requireNonNull(brokerProperties, "brokerProperties");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(startTimeout, "startTimeout");
        brokerProperties = Map.copyOf(brokerProperties);
        List<String> problems = new ArrayList<>();
        if (startTimeout.toMillis() < 1) {
            problems.add("startTimeout=" + startTimeout + " must be at least 1 ms (default 120 s)");
        }
        for (String reserved : KafkaNode.LAUNCHER_OWNED) {
            if (brokerProperties.containsKey(reserved)) {
                problems.add("broker property '" + reserved + "' is set by the launcher (listeners, ports and quorum "
                        + "are chosen per node); remove it");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("Invalid Kafka test broker config: " + String.join("; ", problems));
        }
    }

    /** Test defaults: temporary folder, 120 s start timeout, stock (page-cache) durability. */
    public static KafkaTestBrokerConfig defaults() {
        return new KafkaTestBrokerConfig(Map.of(), Optional.empty(), Duration.ofSeconds(120), false);
    }

    /** Sets one broker property, replacing the test default (e.g. {@code num.partitions}, {@code log.cleaner.enable}). */
    public KafkaTestBrokerConfig withBrokerProperty(String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(brokerProperties);
        copy.put(key, value);
        return new KafkaTestBrokerConfig(copy, dataDirectory, startTimeout, fsyncEveryMessage);
    }

    public KafkaTestBrokerConfig withBrokerProperties(Map<String, String> properties) {
        Map<String, String> copy = new LinkedHashMap<>(brokerProperties);
        copy.putAll(properties);
        return new KafkaTestBrokerConfig(copy, dataDirectory, startTimeout, fsyncEveryMessage);
    }

    public KafkaTestBrokerConfig withDataDirectory(Path directory) {
        return new KafkaTestBrokerConfig(brokerProperties, Optional.of(directory), startTimeout, fsyncEveryMessage);
    }

    public KafkaTestBrokerConfig withStartTimeout(Duration timeout) {
        return new KafkaTestBrokerConfig(brokerProperties, dataDirectory, timeout, fsyncEveryMessage);
    }

    public KafkaTestBrokerConfig withFsyncEveryMessage(boolean fsync) {
        return new KafkaTestBrokerConfig(brokerProperties, dataDirectory, startTimeout, fsync);
    }
}
