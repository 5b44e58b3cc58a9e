package io.tributary.bench.internal;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Child-JVM main, Kafka's side of the start-up figure: starts a Kafka broker in this JVM
 * ({@link KafkaUnderTest}: KRaft, one node, fresh data folder), creates a topic with {@code flush.messages=1},
 * produces one 100-byte record with {@code acks=all} and waits for the ack, then prints
 * {@code FIRST_DURABLE_APPEND done_epoch_ms=<t> jvm_start_epoch_ms=<s>} like {@link FirstDurableAppend}.
 *
 * <p>Usage: {@code java -cp <class path> io.tributary.bench.internal.KafkaFirstDurableWrite <data-dir>}
 */
public final class KafkaFirstDurableWrite {

    private KafkaFirstDurableWrite() {
    }

    public static void main(String[] args) throws Exception {
        long done;
        try (KafkaUnderTest kafka = KafkaUnderTest.open(null, Path.of(args[0]))) {
            Properties p = new Properties();
            p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            try (KafkaClientsClient admin = new KafkaClientsClient(kafka.bootstrapServers());
                 KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
                admin.createTopic("first", 1, io.tributary.log.Durability.ALWAYS);
                producer.send(new ProducerRecord<>("first", 0, null, new byte[100])).get();
                done = System.currentTimeMillis();
            }
        }
        long start = ManagementFactory.getRuntimeMXBean().getStartTime();
        System.out.println("FIRST_DURABLE_APPEND done_epoch_ms=" + done + " jvm_start_epoch_ms=" + start);
    }
}
