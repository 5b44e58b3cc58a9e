package io.tributary.processing;

import io.tributary.log.EventLog;
import org.junit.jupiter.api.Tag;

/**
 * Every {@link ProcessorTest} on the Kafka backend (an in-JVM KRaft broker per test, so the tests' fixed topic and group
 * names never meet), unchanged: the processor uses only the EventLog API.
 */
@Tag("slow")
class KafkaProcessorTest extends ProcessorTest {

    @Override
    EventLog openLog() {
        return KafkaLogs.openOnFreshBroker();
    }
}
