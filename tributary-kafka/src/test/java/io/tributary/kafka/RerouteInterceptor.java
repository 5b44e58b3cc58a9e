package io.tributary.kafka;

import java.util.Map;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * A Kafka producer interceptor that sends every record to the topic named by the producer property
 * {@value #TOPIC}, for Kafka's partitioner to place: for tests of what a producer may rely on when an interceptor is
 * configured. Public, with a no-argument constructor, because Kafka instantiates it by class name.
 */
public final class RerouteInterceptor implements ProducerInterceptor<byte[], byte[]> {

    static final String TOPIC = "test.reroute.topic";

    private String topic = "";

    @Override
    public void configure(Map<String, ?> configs) {
        topic = String.valueOf(configs.get(TOPIC));
    }

    @Override
    public ProducerRecord<byte[], byte[]> onSend(ProducerRecord<byte[], byte[]> record) {
        return new ProducerRecord<>(topic, null, record.timestamp(), record.key(), record.value(), record.headers());
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
    }

    @Override
    public void close() {
    }
}
