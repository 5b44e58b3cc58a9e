package io.tributary.kafka.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.kafka.KafkaLogConfig;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TransactionalProducer;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * The EventLog on a Kafka cluster: one admin client shared by the log, a kafka-clients producer per
 * {@link #producer}, a consumer per {@link #consumer}. Thread-safe; closing it closes everything it handed out.
 */
public final class KafkaEventLog implements EventLog {

    private static final Set<Capability> CAPABILITIES = Set.copyOf(EnumSet.allOf(Capability.class));

    private final KafkaLogConfig config;
    private final Admin admin;
    private final KafkaErrors errors;
    private final long apiTimeoutMs;
    private final TopicCatalog catalog;
    private final KafkaLogAdmin logAdmin;
    private final Set<AutoCloseable> children = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();

    private KafkaEventLog(KafkaLogConfig config) {
        this.config = config;
        this.errors = new KafkaErrors(config.bootstrapServers());
        Properties p = adminProperties();
        this.apiTimeoutMs = Long.parseLong(p.getProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG));
        this.admin = Admin.create(p);
        this.catalog = new TopicCatalog(admin, errors, apiTimeoutMs);
        this.logAdmin = new KafkaLogAdmin(admin, errors, catalog, config, apiTimeoutMs);
    }

    /** Opens a log and checks that the cluster answers, failing with {@code BROKER_UNREACHABLE} if not. */
    public static KafkaEventLog open(KafkaLogConfig config) {
        KafkaEventLog log = new KafkaEventLog(config);
        try {
            log.admin.describeCluster().clusterId().get(log.apiTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.close();
            Throwable cause = e instanceof java.util.concurrent.TimeoutException
                    ? new org.apache.kafka.common.errors.TimeoutException(e.getMessage()) : e;
            throw log.errors.translate(cause, "connect to the Kafka cluster", log.apiTimeoutMs);
        }
        return log;
    }

    @Override
    public String backend() {
        return "kafka";
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public LogAdmin admin() {
        checkOpen();
        return logAdmin;
    }

    @Override
    public LogProducer producer(ProducerConfig producerConfig) {
        checkOpen();
        return register(new KafkaLogProducer(producerProperties(producerConfig, null), catalog, errors,
                producerConfig.maxBlock().toMillis(), this::forget));
    }

    @Override
    public TransactionalProducer transactionalProducer(String transactionalId, ProducerConfig producerConfig) {
        checkOpen();
        if (transactionalId.isBlank()) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "transactionalId is blank; give each "
                    + "transactional producer a stable id, e.g. 'billing-processor-0'");
        }
        return register(new KafkaTransactionalProducer(producerProperties(producerConfig, transactionalId), catalog,
                errors, producerConfig.maxBlock().toMillis(), this::forget));
    }

    @Override
    public LogConsumer consumer(ConsumerConfig consumerConfig) {
        checkOpen();
        return register(new KafkaLogConsumer(consumerConfig, consumerProperties(consumerConfig), catalog, errors,
                apiTimeoutMs, this::forget));
    }

    private <T extends AutoCloseable> T register(T child) {
        children.add(child);
        if (closed.get()) {
            forget(child);
            closeQuietly(child);
            checkOpen();
        }
        return child;
    }

    private void forget(AutoCloseable child) {
        children.remove(child);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        for (AutoCloseable c : new ArrayList<>(children)) {
            closeQuietly(c);
        }
        children.clear();
        catalog.close();
        admin.close();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c instanceof KafkaLogConsumer kc) {
                kc.closeFromOwner();
            } else {
                c.close();
            }
        } catch (Exception ignored) {
            // closing the log: a child that fails to close has nothing left to lose
        }
    }

    private void checkOpen() {
        if (closed.get()) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "This Kafka event log is closed; open a new one with "
                    + "EventLogs.open(settings).");
        }
    }

    // ---- client properties: our defaults, then the user's pass-through properties ----

    private Properties base(Map<String, String> specific) {
        Properties p = new Properties();
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.putAll(config.clientProperties());
        p.putAll(specific);
        return p;
    }

    Properties adminProperties() {
        Properties p = new Properties();
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "60000");
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "tributary-admin");
        p.putAll(base(config.adminProperties()));
        return p;
    }

    Properties producerProperties(ProducerConfig c, @Nullable String transactionalId) {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.producer.ProducerConfig.ACKS_CONFIG, "all");
        p.put(org.apache.kafka.clients.producer.ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(org.apache.kafka.clients.producer.ProducerConfig.CLIENT_ID_CONFIG, c.clientId());
        p.put(org.apache.kafka.clients.producer.ProducerConfig.LINGER_MS_CONFIG, String.valueOf(c.linger().toMillis()));
        p.put(org.apache.kafka.clients.producer.ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(c.bufferMemoryBytes()));
        p.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_BLOCK_MS_CONFIG, String.valueOf(c.maxBlock().toMillis()));
        // The topic's max.message.bytes is the limit users set; the client-side request cap should not be lower.
        p.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_REQUEST_SIZE_CONFIG,
                String.valueOf(Math.min(Integer.MAX_VALUE, c.bufferMemoryBytes())));
        p.putAll(base(config.producerProperties()));
        p.putAll(c.properties());
        p.put(org.apache.kafka.clients.producer.ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(org.apache.kafka.clients.producer.ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.remove(org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG);
        if (transactionalId != null) {
            p.put(org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        }
        return p;
    }

    Properties consumerProperties(ConsumerConfig c) {
        Properties p = new Properties();
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.CLIENT_ID_CONFIG, c.clientId());
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_RECORDS_CONFIG, String.valueOf(c.maxPollRecords()));
        int fetchMax = (int) Math.min(Integer.MAX_VALUE, c.maxPollBytes());
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.FETCH_MAX_BYTES_CONFIG, String.valueOf(fetchMax));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                String.valueOf(Math.min(fetchMax, 1_048_576)));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(c.sessionTimeout().toMillis()));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, String.valueOf(c.heartbeatInterval().toMillis()));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, String.valueOf(c.maxPollInterval().toMillis()));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                c.autoOffsetReset().name().toLowerCase(java.util.Locale.ROOT));
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                c.readCommitted() ? "read_committed" : "read_uncommitted");
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(60_000));
        p.putAll(base(config.consumerProperties()));
        p.putAll(c.properties());
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(org.apache.kafka.clients.consumer.ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        // The group comes from ConsumerConfig only, so an assign-only consumer never joins a group by accident.
        p.remove(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG);
        c.groupId().ifPresent(g -> p.put(org.apache.kafka.clients.consumer.ConsumerConfig.GROUP_ID_CONFIG, g));
        return p;
    }
}
