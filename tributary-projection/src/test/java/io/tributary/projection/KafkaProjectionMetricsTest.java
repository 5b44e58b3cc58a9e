package io.tributary.projection;

import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.testbroker.KafkaTestBroker;
import java.util.Map;
import org.junit.jupiter.api.Tag;

/**
 * The projection meter specs of {@link ProjectionMetricsTest}, unchanged, on the Kafka backend (an in-JVM KRaft broker
 * shared by the run): the lag probe's offset requests, seeks and pauses go through kafka-clients there.
 */
@Tag("slow")
class KafkaProjectionMetricsTest extends ProjectionMetricsTest {

    @Override
    EventLog openLog() {
        return EventLogs.open(Map.of(EventLogs.BACKEND, "kafka", "tributary.log.kafka.bootstrap-servers",
                KafkaTestBroker.shared().bootstrapServers()));
    }
}
