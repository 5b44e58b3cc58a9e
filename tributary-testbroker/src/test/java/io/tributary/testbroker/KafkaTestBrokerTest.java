package io.tributary.testbroker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaTestBrokerTest {

    @Test
    void startsABrokerThatAcceptsAWriteAndAReadAndKeepsItsDataAcrossARestart() throws Exception {
        try (KafkaTestBroker kafka = KafkaTestBroker.start()) {
            assertThat(kafka.bootstrapServers()).startsWith("127.0.0.1:");
            kafka.createTopic("smoke", 1);

            RecordMetadata written = produce(kafka, "smoke", "k", "hello");
            assertThat(written.offset()).isZero();
            assertThat(consume(kafka, "smoke", 1)).containsExactly("k=hello");

            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
            kafka.restart();
            assertThat(kafka.isRunning()).isTrue();
            assertThat(produce(kafka, "smoke", "k", "again").offset()).isEqualTo(1);
            assertThat(consume(kafka, "smoke", 2)).containsExactly("k=hello", "k=again");
        }
    }

    @Test
    void fsyncTopicsAndBrokerOverridesAreApplied() throws Exception {
        KafkaTestBrokerConfig config = KafkaTestBrokerConfig.defaults().withBrokerProperty("num.partitions", "2");
        try (KafkaTestBroker kafka = KafkaTestBroker.start(config);
             var admin = org.apache.kafka.clients.admin.Admin.create(kafka.clientProperties())) {
            kafka.createFsyncTopic("durable", 1);
            var resource = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.TOPIC, "durable");
            var topicConfig = admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource);
            assertThat(topicConfig.get("flush.messages").value()).isEqualTo("1");

            var broker = new org.apache.kafka.common.config.ConfigResource(
                    org.apache.kafka.common.config.ConfigResource.Type.BROKER, "1");
            var brokerConfig = admin.describeConfigs(List.of(broker)).all().get(30, TimeUnit.SECONDS).get(broker);
            assertThat(brokerConfig.get("num.partitions").value()).isEqualTo("2");
            assertThat(brokerConfig.get("group.initial.rebalance.delay.ms").value()).isEqualTo("0");
        }
    }

    static RecordMetadata produce(KafkaEndpoint kafka, String topic, String key, String value) throws Exception {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            return producer.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    static List<String> consume(KafkaEndpoint kafka, String topic, int count) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> seen = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            var tp = new org.apache.kafka.common.TopicPartition(topic, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    seen.add(r.key() + "=" + r.value());
                }
            }
        }
        return seen;
    }
}
