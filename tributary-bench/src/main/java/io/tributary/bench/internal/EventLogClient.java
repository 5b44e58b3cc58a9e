package io.tributary.bench.internal;

import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.Durability;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Drives a log through our public EventLog API, exactly as an application would: keyless {@link Record}s stamped
 * with the current time, one shared {@link LogProducer}, a {@link LogConsumer} assigned every partition.
 */
public final class EventLogClient implements LogClient {

    private final EventLog log;
    private final String label;
    private final ProducerConfig throughputConfig;
    private final ProducerConfig latencyConfig;

    /**
     * @param log              an open log; closed with this client
     * @param label            how the report names it
     * @param throughputConfig producer settings for throughput runs (e.g. linger and batch size on Kafka)
     * @param latencyConfig    producer settings for one-in-flight latency runs
     */
    public EventLogClient(EventLog log, String label, ProducerConfig throughputConfig, ProducerConfig latencyConfig) {
        this.log = log;
        this.label = label;
        this.throughputConfig = throughputConfig;
        this.latencyConfig = latencyConfig;
    }

    public EventLog log() {
        return log;
    }

    @Override
    public String label() {
        return label;
    }

    @Override
    public boolean supports(Durability durability) {
        return true;
    }

    @Override
    public void createTopic(String topic, int partitions, Durability durability) {
        log.admin().createTopic(new NewTopic(topic, partitions,
                TopicConfig.of(Map.of(TopicConfig.FSYNC, durability.toString()))));
    }

    @Override
    public void deleteTopic(String topic) {
        log.admin().deleteTopic(topic);
    }

    @Override
    public Sender newSender(Tuning tuning, int maxInFlight) {
        return new LogSender(log.producer(tuning == Tuning.THROUGHPUT ? throughputConfig : latencyConfig), maxInFlight);
    }

    @Override
    public Receiver newReceiver(String topic, int partitions) {
        LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("bench-reader"));
        List<TopicPartition> all = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            all.add(new TopicPartition(topic, p));
        }
        consumer.assign(all);
        consumer.seekToBeginning(all);
        return new Receiver() {
            @Override
            public int poll(Duration timeout, ValueSink sink) {
                List<LogRecord> records = consumer.poll(timeout);
                for (LogRecord r : records) {
                    byte[] v = r.value();
                    if (v != null) {
                        sink.accept(v);
                    }
                }
                return records.size();
            }

            @Override
            public void close() {
                consumer.close();
            }
        };
    }

    @Override
    public void close() {
        log.close();
    }

    /** The log suite's sender: keyless records through the shared {@link BoundedAppends}. */
    private static final class LogSender implements Sender {
        private final BoundedAppends appends;

        LogSender(LogProducer producer, int maxInFlight) {
            this.appends = new BoundedAppends(producer, maxInFlight);
        }

        @Override
        public void send(String topic, int partition, byte[] value) {
            appends.append(topic, partition, Record.of(null, value));
        }

        @Override
        public void sendAndWait(String topic, int partition, byte[] value) throws Exception {
            appends.producer().append(topic, partition, Record.of(null, value)).get();
        }

        @Override
        public void flush() {
            appends.flush();
        }

        @Override
        public long failures() {
            return appends.failures();
        }

        @Override
        public Optional<Throwable> firstFailure() {
            return appends.firstFailure();
        }

        @Override
        public void close() {
            appends.close();
        }
    }
}
