package io.tributary.processing;

import io.tributary.log.EventLog;
import org.junit.jupiter.api.Tag;

/**
 * Every {@link BatchingTest} on the Kafka backend (an in-JVM KRaft broker per test, so the tests' fixed topic and group
 * names never meet), unchanged: the processor uses only the EventLog API.
 */
@Tag("slow")
class KafkaBatchingTest extends BatchingTest {

    @Override
    EventLog openLog() {
        return KafkaLogs.openOnFreshBroker();
    }
}
