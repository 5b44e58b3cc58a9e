package io.tributary.kafka;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Settings of the Kafka backend, read from the {@code tributary.log.kafka.*} settings. Immutable; all problems are
 * reported at once.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>setting</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>{@code tributary.log.kafka.bootstrap-servers}</td><td>(required)</td><td>{@code host:port,...} of the
 *       cluster; {@code tributary.log.kafka.bootstrap.servers} is accepted too</td></tr>
 *   <tr><td>{@code tributary.log.kafka.replication-factor}</td><td>-1</td><td>replication factor of topics created
 *       through {@code LogAdmin}; -1 uses the broker's {@code default.replication.factor}</td></tr>
 *   <tr><td>{@code tributary.log.kafka.client.<property>}</td><td></td><td>any Kafka client property, given to the
 *       producers, consumers and the admin client alike: security ({@code security.protocol}, {@code ssl.*},
 *       {@code sasl.*}), timeouts, {@code client.rack}, ...</td></tr>
 *   <tr><td>{@code tributary.log.kafka.producer.<property>}, {@code .consumer.<property>},
 *       {@code .admin.<property>}</td><td></td><td>a Kafka property for one kind of client only (wins over
 *       {@code client.})</td></tr>
 *   <tr><td>{@code tributary.log.kafka.topic.<config>}</td><td></td><td>a Kafka topic config added to every topic
 *       created through {@code LogAdmin} unless the topic sets it, e.g. {@code min.insync.replicas=2}</td></tr>
 * </table>
 *
 * <p>What Tributary sets on the clients (each can be replaced with the pass-through settings, except the
 * serializers, which must stay byte arrays): producers {@code acks=all}, {@code enable.idempotence=true},
 * {@code linger.ms}, {@code buffer.memory}, {@code max.block.ms} from {@code ProducerConfig}, {@code max.request.size}
 * equal to the buffer; consumers {@code enable.auto.commit=false} (commits are explicit), {@code group.protocol=classic},
 * {@code max.poll.records}, {@code fetch.max.bytes}, {@code session.timeout.ms}, {@code heartbeat.interval.ms},
 * {@code max.poll.interval.ms}, {@code auto.offset.reset} and {@code isolation.level} from {@code ConsumerConfig}.
 *
 * @param bootstrapServers    {@code host:port,...}
 * @param replicationFactor   replication factor for new topics, or -1 for the broker default
 * @param clientProperties    Kafka properties for every client
 * @param producerProperties  Kafka properties for producers only
 * @param consumerProperties  Kafka properties for consumers only
 * @param adminProperties     Kafka properties for the admin client only
 * @param topicDefaults       Kafka topic configs for every topic created
 */
public record KafkaLogConfig(String bootstrapServers, short replicationFactor, Map<String, String> clientProperties,
                             Map<String, String> producerProperties, Map<String, String> consumerProperties,
                             Map<String, String> adminProperties, Map<String, String> topicDefaults) {

    public static final String PREFIX = "tributary.log.kafka.";
    public static final String BOOTSTRAP_SERVERS = PREFIX + "bootstrap-servers";
    public static final String BOOTSTRAP_SERVERS_ALIAS = PREFIX + "bootstrap.servers";
    public static final String REPLICATION_FACTOR = PREFIX + "replication-factor";
    public static final String CLIENT_PREFIX = PREFIX + "client.";
    public static final String PRODUCER_PREFIX = PREFIX + "producer.";
    public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
    public static final String ADMIN_PREFIX = PREFIX + "admin.";
    public static final String TOPIC_PREFIX = PREFIX + "topic.";

    /** Client properties Tributary owns: records are byte arrays, and group and transactional ids come from the API. */
    static final List<String> RESERVED = List.of("key.serializer", "value.serializer", "key.deserializer",
            "value.deserializer", "group.id", "transactional.id");

    public KafkaLogConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        clientProperties = Map.copyOf(clientProperties);
        producerProperties = Map.copyOf(producerProperties);
        consumerProperties = Map.copyOf(consumerProperties);
        adminProperties = Map.copyOf(adminProperties);
        topicDefaults = Map.copyOf(topicDefaults);
        List<String> problems = new ArrayList<>();
        if (bootstrapServers.isBlank()) {
            problems.add(BOOTSTRAP_SERVERS + " is missing; set it to the cluster's brokers, e.g. 'kafka-1:9092,kafka-2:9092'");
        }
        if (replicationFactor != -1 && replicationFactor < 1) {
            problems.add(REPLICATION_FACTOR + "=" + replicationFactor + " must be -1 (broker default) or at least 1");
        }
        checkReserved(CLIENT_PREFIX, clientProperties, problems);
        checkReserved(PRODUCER_PREFIX, producerProperties, problems);
        checkReserved(CONSUMER_PREFIX, consumerProperties, problems);
        checkReserved(ADMIN_PREFIX, adminProperties, problems);
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid Kafka backend settings: "
                    + String.join("; ", problems));
        }
    }

    private static void checkReserved(String prefix, Map<String, String> props, List<String> problems) {
        for (String key : props.keySet()) {
            if (RESERVED.contains(key)) {
                problems.add(prefix + key + " is set by Tributary (records are byte arrays; group and transactional "
                        + "ids come from ConsumerConfig and transactionalProducer); remove it");
            }
            if (key.equals("bootstrap.servers")) {
                problems.add(prefix + key + " cannot be set per client; use " + BOOTSTRAP_SERVERS);
            }
        }
    }

    /** Only the bootstrap servers; everything else default. */
    public static KafkaLogConfig forBootstrapServers(String bootstrapServers) {
        return new KafkaLogConfig(bootstrapServers, (short) -1, Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    /**
     * Reads the {@code tributary.log.kafka.*} entries of {@code settings} (others are ignored). Unknown or bad
     * entries are all reported in one {@link InvalidRequestException} ({@link ErrorCode#INVALID_CONFIG}).
     */
    public static KafkaLogConfig fromSettings(Map<String, String> settings) {
        List<String> problems = new ArrayList<>();
        String bootstrap = null;
        short rf = -1;
        Map<String, String> client = new LinkedHashMap<>();
        Map<String, String> producer = new LinkedHashMap<>();
        Map<String, String> consumer = new LinkedHashMap<>();
        Map<String, String> admin = new LinkedHashMap<>();
        Map<String, String> topic = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(settings).entrySet()) {
            String key = e.getKey();
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            if (key.equals(BOOTSTRAP_SERVERS) || key.equals(BOOTSTRAP_SERVERS_ALIAS)) {
                if (bootstrap != null && !bootstrap.equals(value)) {
                    problems.add(BOOTSTRAP_SERVERS + " and " + BOOTSTRAP_SERVERS_ALIAS + " disagree ('" + bootstrap
                            + "' vs '" + value + "'); set only " + BOOTSTRAP_SERVERS);
                }
                bootstrap = value;
            } else if (key.equals(REPLICATION_FACTOR)) {
                try {
                    rf = Short.parseShort(value);
                } catch (NumberFormatException ex) {
                    problems.add(REPLICATION_FACTOR + "='" + value + "' is not a whole number; use -1 or e.g. 3");
                }
            } else if (!putSuffix(key, value, CLIENT_PREFIX, client) && !putSuffix(key, value, PRODUCER_PREFIX, producer)
                    && !putSuffix(key, value, CONSUMER_PREFIX, consumer) && !putSuffix(key, value, ADMIN_PREFIX, admin)
                    && !putSuffix(key, value, TOPIC_PREFIX, topic)) {
                problems.add("unknown setting '" + key + "' (known: " + BOOTSTRAP_SERVERS + ", " + REPLICATION_FACTOR
                        + ", and the prefixes " + CLIENT_PREFIX + ", " + PRODUCER_PREFIX + ", " + CONSUMER_PREFIX + ", "
                        + ADMIN_PREFIX + ", " + TOPIC_PREFIX + " followed by a Kafka property name)");
            }
        }
        checkReserved(CLIENT_PREFIX, client, problems);
        checkReserved(PRODUCER_PREFIX, producer, problems);
        checkReserved(CONSUMER_PREFIX, consumer, problems);
        checkReserved(ADMIN_PREFIX, admin, problems);
        if (bootstrap == null) {
            problems.add(BOOTSTRAP_SERVERS + " is missing; set it to the cluster's brokers, e.g. 'kafka-1:9092,kafka-2:9092'");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid Kafka backend settings: "
                    + String.join("; ", problems));
        }
        return new KafkaLogConfig(bootstrap, rf, client, producer, consumer, admin, topic);
    }

    private static boolean putSuffix(String key, String value, String prefix, Map<String, String> into) {
        if (key.startsWith(prefix) && key.length() > prefix.length()) {
            into.put(key.substring(prefix.length()), value);
            return true;
        }
        return false;
    }

    public KafkaLogConfig withReplicationFactor(short rf) {
        return new KafkaLogConfig(bootstrapServers, rf, clientProperties, producerProperties, consumerProperties,
                adminProperties, topicDefaults);
    }

    public KafkaLogConfig withClientProperty(String key, String value) {
        return new KafkaLogConfig(bootstrapServers, replicationFactor, with(clientProperties, key, value),
                producerProperties, consumerProperties, adminProperties, topicDefaults);
    }

    public KafkaLogConfig withTopicDefault(String key, String value) {
        return new KafkaLogConfig(bootstrapServers, replicationFactor, clientProperties, producerProperties,
                consumerProperties, adminProperties, with(topicDefaults, key, value));
    }

    private static Map<String, String> with(Map<String, String> m, String k, String v) {
        Map<String, String> copy = new LinkedHashMap<>(m);
        copy.put(k, v);
        return copy;
    }
}
