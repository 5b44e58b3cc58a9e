package io.tributary.processing;

import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.testbroker.KafkaTestBroker;
import io.tributary.log.Capability;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TransactionalProducer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** The in-JVM Kafka broker shared by this module's tests (started on first use), and names unique on it. */
final class KafkaLogs {

    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);

    private KafkaLogs() {
    }

    static String bootstrapServers() {
        return KafkaTestBroker.shared().bootstrapServers();
    }

    static EventLog open() {
        return open(bootstrapServers());
    }

    static EventLog open(String bootstrapServers) {
        return EventLogs.open(Map.of(EventLogs.BACKEND, "kafka", "tributary.log.kafka.bootstrap-servers",
                bootstrapServers));
    }

    /**
     * A log on a broker of its own, started now and closed (data deleted) with the log: for tests written for a
     * private embedded log, which reuse topic and group names such as "orders" and "billing".
     */
    static EventLog openOnFreshBroker() {
        KafkaTestBroker broker = KafkaTestBroker.start();
        EventLog log;
        try {
            log = open(broker.bootstrapServers());
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        return new EventLog() {
            @Override
            public String backend() {
                return log.backend();
            }

            @Override
            public Set<Capability> capabilities() {
                return log.capabilities();
            }

            @Override
            public LogAdmin admin() {
                return log.admin();
            }

            @Override
            public LogProducer producer(ProducerConfig config) {
                return log.producer(config);
            }

            @Override
            public LogConsumer consumer(ConsumerConfig config) {
                return log.consumer(config);
            }

            @Override
            public TransactionalProducer transactionalProducer(String transactionalId, ProducerConfig config) {
                return log.transactionalProducer(transactionalId, config);
            }

            @Override
            public void close() {
                try {
                    log.close();
                } finally {
                    broker.close();
                }
            }
        };
    }

    /** {@code purpose} made unique for this run, since the broker outlives each test. */
    static String unique(String purpose) {
        return purpose + "-" + RUN + "-" + NAMES.incrementAndGet();
    }
}
