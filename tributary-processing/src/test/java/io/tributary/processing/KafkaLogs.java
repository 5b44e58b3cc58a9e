package io.tributary.processing;

import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.testbroker.KafkaTestBroker;
import java.util.Map;
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

    /** {@code purpose} made unique for this run, since the broker outlives each test. */
    static String unique(String purpose) {
        return purpose + "-" + RUN + "-" + NAMES.incrementAndGet();
    }
}
