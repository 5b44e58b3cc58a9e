package io.tributary.bench.internal;

import io.tributary.log.Durability;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.jspecify.annotations.Nullable;

/**
 * Raw kafka-clients against a broker, tuned as the Kafka peer run was: {@code acks=all}, and for throughput
 * {@code linger.ms=5}, {@code batch.size=65536} (for one-in-flight latency {@code linger.ms=0}); consumers with
 * default fetch settings. {@code fsync=always} maps to the topic config
 * {@code flush.messages=1} (the broker fsyncs before it acknowledges), {@code never} to stock Kafka. Kafka has no
 * working time-based flush without a broker-wide scheduler setting, so {@code interval} is not supported.
 */
public final class KafkaClientsClient implements LogClient {

    /** Producer settings for throughput runs, raw and through our Kafka backend: those of the Kafka peer run. */
    public static final Map<String, String> THROUGHPUT_TUNING = Map.of(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.LINGER_MS_CONFIG, "5",
            ProducerConfig.BATCH_SIZE_CONFIG, "65536");
    /** Producer settings for one-in-flight latency runs: no linger, as the peer's latency tool. */
    public static final Map<String, String> LATENCY_TUNING = Map.of(
            ProducerConfig.ACKS_CONFIG, "all",
            ProducerConfig.LINGER_MS_CONFIG, "0");

    private final String bootstrap;
    private final Admin admin;
    private final String label;
    private final @Nullable String workload;

    public KafkaClientsClient(String bootstrapServers) {
        this(bootstrapServers, "kafka-clients", null);
    }

    /**
     * A second raw client for an A/A check of the paired method ({@code --aa}): {@code workload}, if given, names its
     * append figures apart from the first raw client's.
     */
    public KafkaClientsClient(String bootstrapServers, String label, @Nullable String workload) {
        this.label = label;
        this.workload = workload;
        this.bootstrap = bootstrapServers;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(p);
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public String appendWorkload(int appendBatch) {
        return workload != null ? workload : LogClient.super.appendWorkload(appendBatch);
    }

    @Override
    public boolean supports(Durability durability) {
        return !(durability instanceof Durability.Interval);
    }

    @Override
    public String appendCalls() {
        return "send() per record";
    }

    @Override
    public void createTopic(String topic, int partitions, Durability durability) {
        NewTopic t = new NewTopic(topic, partitions, (short) 1);
        if (durability instanceof Durability.Always) {
            t.configs(Map.of("flush.messages", "1"));
        } else if (durability instanceof Durability.Interval) {
            throw new IllegalArgumentException("Raw Kafka has no fsync interval of its own; use always or never");
        }
        try {
            admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Could not create Kafka topic '" + topic + "' on " + bootstrap + ": " + e, e);
        }
        // createTopics returns when the controller has the topic. Wait until every partition's leader serves it from
        // its log (ListOffsets answers only then), not merely until the metadata names a leader: a broker publishes
        // the leader in its metadata cache before it has created the partition, and an idempotent producer that
        // sends in that gap can get one request refused (NOT_LEADER_OR_FOLLOWER) while the next is appended; the
        // retry is then out of order for ever and its records fail after delivery.timeout.ms (KAFKA-15591, fixed
        // in Kafka 4.5): the OutOfOrderSequenceException and 120 s stalls this peer showed on new 6-partition topics.
        // Our backend's createTopic already waits for ListOffsets, which is why only the raw peer stalled.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
                if (d != null && d.partitions().size() == partitions
                        && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    for (int p = 0; p < partitions; p++) {
                        latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
                    }
                    admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw new IllegalStateException("Could not describe new Kafka topic '" + topic + "': " + e.getCause(), e);
                }
            } catch (InterruptedException | TimeoutException e) {
                throw new IllegalStateException("Could not describe new Kafka topic '" + topic + "': " + e, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("Kafka topic '" + topic + "' has no leader for every partition 60 s after "
                        + "it was created on " + bootstrap);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for Kafka topic '" + topic + "'", e);
            }
        }
    }

    @Override
    public void deleteTopic(String topic) {
        try {
            admin.deleteTopics(Set.of(topic)).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Could not delete Kafka topic '" + topic + "' on " + bootstrap + ": " + e, e);
        }
    }

    @Override
    public Sender newSender(Tuning tuning, int maxInFlight) {
        return new KafkaSender(new BoundedKafkaSends(producer(bootstrap, tuning, KafkaUnderTest.BENCH_PRODUCER), maxInFlight));
    }

    /** A byte-array producer with the peer's settings for throughput or latency runs. */
    public static KafkaProducer<byte[], byte[]> producer(String bootstrapServers, Tuning tuning, String clientId) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.putAll(tuning == Tuning.THROUGHPUT ? THROUGHPUT_TUNING : LATENCY_TUNING);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public Receiver newReceiver(String topic, int partitions) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, "bench-reader");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> all = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            all.add(new TopicPartition(topic, i));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        return new Receiver() {
            @Override
            public int poll(Duration timeout, ValueSink sink) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    if (r.value() != null) {
                        sink.accept(r.value());
                    }
                }
                return records.count();
            }

            @Override
            public void close() {
                consumer.close(Duration.ofSeconds(5));
            }
        };
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
    }

    /** The log suite's sender: keyless records through the shared {@link BoundedKafkaSends}. */
    private static final class KafkaSender implements Sender {
        private final BoundedKafkaSends sends;

        KafkaSender(BoundedKafkaSends sends) {
            this.sends = sends;
        }

        @Override
        public void send(String topic, int partition, byte[] value) {
            sends.send(new ProducerRecord<>(topic, partition < 0 ? null : partition, null, value));
        }

        @Override
        public void sendAndWait(String topic, int partition, byte[] value) throws Exception {
            sends.producer().send(new ProducerRecord<>(topic, partition, null, value)).get();
        }

        @Override
        public void flush() {
            sends.flush();
        }

        @Override
        public long failures() {
            return sends.failures();
        }

        @Override
        public Optional<Throwable> firstFailure() {
            return sends.firstFailure();
        }

        @Override
        public void close() {
            sends.close();
        }
    }
}
