package io.tributary.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How the {@code tributary.log.kafka.*} settings are read. */
class KafkaLogConfigTest {

    @Test
    void readsBootstrapServersReplicationFactorAndEachPassThroughPrefix() {
        KafkaLogConfig c = KafkaLogConfig.fromSettings(Map.of(
                "tributary.log.backend", "kafka",
                "tributary.log.embedded.data-dir", "/ignored/by/kafka",
                "tributary.log.kafka.bootstrap-servers", "k1:9092,k2:9092",
                "tributary.log.kafka.replication-factor", "3",
                "tributary.log.kafka.client.security.protocol", "SASL_SSL",
                "tributary.log.kafka.producer.compression.type", "zstd",
                "tributary.log.kafka.consumer.client.rack", "a",
                "tributary.log.kafka.admin.default.api.timeout.ms", "5000",
                "tributary.log.kafka.topic.min.insync.replicas", "2"));

        assertThat(c.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
        assertThat(c.replicationFactor()).isEqualTo((short) 3);
        assertThat(c.clientProperties()).isEqualTo(Map.of("security.protocol", "SASL_SSL"));
        assertThat(c.producerProperties()).isEqualTo(Map.of("compression.type", "zstd"));
        assertThat(c.consumerProperties()).isEqualTo(Map.of("client.rack", "a"));
        assertThat(c.adminProperties()).isEqualTo(Map.of("default.api.timeout.ms", "5000"));
        assertThat(c.topicDefaults()).isEqualTo(Map.of("min.insync.replicas", "2"));
    }

    @Test
    void acceptsKafkasOwnSpellingOfBootstrapServersButNotTwoDifferentValues() {
        assertThat(KafkaLogConfig.fromSettings(Map.of("tributary.log.kafka.bootstrap.servers", "k:9092"))
                .bootstrapServers()).isEqualTo("k:9092");
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> KafkaLogConfig.fromSettings(
                Map.of("tributary.log.kafka.bootstrap.servers", "a:1", "tributary.log.kafka.bootstrap-servers", "b:2")));
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
        assertThat(e.getMessage()).contains("disagree", "a:1", "b:2");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        InvalidRequestException e = catchThrowableOfType(InvalidRequestException.class, () -> KafkaLogConfig.fromSettings(Map.of(
                "tributary.log.kafka.replication-factor", "0",
                "tributary.log.kafka.consumer.group.id", "sneaky",
                "tributary.log.kafka.client.bootstrap.servers", "x:1",
                "tributary.log.kafka.colour", "blue")));
        assertThat(e.getMessage()).contains("bootstrap-servers is missing", "group.id", "client.bootstrap.servers",
                "'tributary.log.kafka.colour'");
    }
}
