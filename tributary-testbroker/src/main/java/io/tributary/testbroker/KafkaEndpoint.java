package io.tributary.testbroker;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * A running in-JVM Kafka: one {@link KafkaTestBroker} or a {@link KafkaTestCluster}. Thread-safe.
 */
public sealed interface KafkaEndpoint extends AutoCloseable permits KafkaTestBroker, KafkaTestCluster {

    /** Topic config that fsyncs every append before the ack ({@code flush.messages=1}), Kafka's most durable mode. */
    Map<String, String> FSYNC_EVERY_MESSAGE = Map.of("flush.messages", "1");

    /** {@code host:port,...} of the running brokers, for a client's {@code bootstrap.servers}. */
    String bootstrapServers();

    /** How many broker nodes this endpoint started (running or stopped). */
    int nodeCount();

    /** Client properties with {@code bootstrap.servers} set; add serializers etc. as needed. */
    default Properties clientProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return p;
    }

    /** Creates a topic with replication factor min(3, nodes) and the given topic configs; waits until it exists. */
    default void createTopic(String topic, int partitions, Map<String, String> configs) {
        createTopic(topic, partitions, (short) Math.min(3, nodeCount()), configs);
    }

    default void createTopic(String topic, int partitions) {
        createTopic(topic, partitions, Map.of());
    }

    /** Creates a topic whose every append is fsynced before the ack ({@link #FSYNC_EVERY_MESSAGE}). */
    default void createFsyncTopic(String topic, int partitions) {
        createTopic(topic, partitions, FSYNC_EVERY_MESSAGE);
    }

    /** Creates a topic; waits (up to 30 s) until the brokers have created it. */
    default void createTopic(String topic, int partitions, short replicationFactor, Map<String, String> configs) {
        Properties p = clientProperties();
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, replicationFactor).configs(configs)))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Could not create topic '" + topic + "' on " + bootstrapServers() + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Topic '" + topic + "' was not created within " + Duration.ofSeconds(30)
                    + " on " + bootstrapServers(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic '" + topic + "'", e);
        }
    }

    /** Stops every node and deletes the data the launcher created. Idempotent. */
    @Override
    void close();
}
