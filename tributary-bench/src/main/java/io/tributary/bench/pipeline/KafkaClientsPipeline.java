package io.tributary.bench.pipeline;

import io.tributary.bench.internal.BoundedKafkaSends;
import io.tributary.bench.internal.KafkaClientsClient;
import io.tributary.bench.internal.LogClient.Tuning;
import io.tributary.log.Durability;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.jspecify.annotations.Nullable;

/**
 * The peer: what a team writes without Tributary. A {@link KafkaProducer} ({@code acks=all}, the Kafka peer run's
 * tuning) and one {@link KafkaConsumer} in a group, polled on one thread that calls the handler for each record
 * (per event) or once with everything the poll returned (batched), then commits the consumer's positions with
 * {@code commitSync} every commit interval, on revoke and on close. Default consumer settings otherwise
 * ({@code max.poll.records=500}).
 */
final class KafkaClientsPipeline implements PipelineSystem {

    private final String bootstrap;
    private final KafkaClientsClient admin;
    private final Durability fsync;
    private final Duration commitInterval;
    private final int maxInFlight;

    KafkaClientsPipeline(String bootstrapServers, Durability fsync, Duration commitInterval, int maxInFlight) {
        this.bootstrap = bootstrapServers;
        this.admin = new KafkaClientsClient(bootstrapServers);
        this.fsync = fsync;
        this.commitInterval = commitInterval;
        this.maxInFlight = maxInFlight;
    }

    @Override
    public String label() {
        return "kafka-clients";
    }

    @Override
    public void createTopic(String topic, int partitions) {
        admin.createTopic(topic, partitions, fsync);
    }

    @Override
    public void deleteTopic(String topic) {
        admin.deleteTopic(topic);
    }

    @Override
    public Feed feed(boolean latencyTuning) {
        return new KafkaFeed(new BoundedKafkaSends(KafkaClientsClient.producer(bootstrap,
                latencyTuning ? Tuning.LATENCY : Tuning.THROUGHPUT, "bench-pipeline-producer"), maxInFlight));
    }

    @Override
    public Consumption start(String topic, String group, boolean batched, HandlerWork work) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, group);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        PollLoop loop = new PollLoop(new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                topic, batched, work, commitInterval.toNanos());
        loop.thread.start();
        return loop;
    }

    @Override
    public void close() {
        admin.close();
    }

    /** The plain poll loop, on its own platform thread. */
    private static final class PollLoop implements Consumption, ConsumerRebalanceListener {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final String topic;
        private final boolean batched;
        private final HandlerWork work;
        private final long commitIntervalNanos;
        private final Thread thread;
        private final Map<TopicPartition, Long> committedByPartition = new HashMap<>();
        private volatile int assigned;
        private volatile long committed;
        private volatile boolean stop;
        private volatile @Nullable String failure;

        PollLoop(KafkaConsumer<byte[], byte[]> consumer, String topic, boolean batched, HandlerWork work,
                 long commitIntervalNanos) {
            this.consumer = consumer;
            this.topic = topic;
            this.batched = batched;
            this.work = work;
            this.commitIntervalNanos = commitIntervalNanos;
            this.thread = Thread.ofPlatform().name("bench-kafka-poll-loop-" + topic).unstarted(this::run);
        }

        private void run() {
            try {
                consumer.subscribe(List.of(topic), this);
                long lastCommit = System.nanoTime();
                while (!stop) {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                    if (!records.isEmpty()) {
                        if (batched) {
                            long now = System.nanoTime();
                            for (ConsumerRecord<byte[], byte[]> r : records) {
                                work.record(r.value(), now);
                            }
                            work.batchDone(records.count(), now);
                        } else {
                            for (ConsumerRecord<byte[], byte[]> r : records) {
                                work.one(r.value());
                            }
                        }
                    }
                    if (System.nanoTime() - lastCommit >= commitIntervalNanos) {
                        commitPositions();
                        lastCommit = System.nanoTime();
                    }
                }
                commitPositions();
            } catch (WakeupException e) {
                if (!stop) {
                    failure = "woken up unexpectedly: " + e;
                }
                try {
                    commitPositions();
                } catch (RuntimeException again) {
                    failure = failure != null ? failure : "final commit failed: " + again;
                }
            } catch (RuntimeException e) {
                failure = "the kafka-clients poll loop failed: " + e;
            } finally {
                consumer.close(Duration.ofSeconds(10));
            }
        }

        /** Every record the last poll returned was handled, so the positions are safe to commit. */
        private void commitPositions() {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : consumer.assignment()) {
                offsets.put(tp, new OffsetAndMetadata(consumer.position(tp)));
            }
            if (offsets.isEmpty()) {
                return;
            }
            consumer.commitSync(offsets);
            offsets.forEach((tp, o) -> committedByPartition.put(tp, o.offset()));
            long sum = 0;
            for (long o : committedByPartition.values()) {
                sum += o;
            }
            committed = sum;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commitPositions();
            assigned = consumer.assignment().size() - partitions.size();
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned = consumer.assignment().size();
        }

        @Override
        public int assignedPartitions() {
            return assigned;
        }

        @Override
        public long committed() {
            return committed;
        }

        @Override
        public Optional<String> failure() {
            return Optional.ofNullable(failure);
        }

        @Override
        public void close() {
            stop = true;
            consumer.wakeup();
            try {
                thread.join(Duration.ofSeconds(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The poll loop's producer: keyed records through the shared {@link BoundedKafkaSends}. */
    private static final class KafkaFeed implements Feed {
        private final BoundedKafkaSends sends;

        KafkaFeed(BoundedKafkaSends sends) {
            this.sends = sends;
        }

        @Override
        public void send(String topic, byte[] key, byte[] value) {
            sends.send(new ProducerRecord<>(topic, key, value));
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
