package io.tributary.kafka;

import io.tributary.kafka.internal.KafkaLogConsumer;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.tck.EventLogConformanceKit;
import java.time.Duration;

/**
 * The conformance kit, unchanged, against the Kafka backend on one in-JVM broker shared by every test (topic and
 * group names never repeat, so nothing is cleaned between tests).
 */
class KafkaLogConformanceTest extends EventLogConformanceKit {

    @Override
    protected EventLog openLog() {
        return KafkaTestSupport.openLog();
    }

    /** The data lives in the cluster: a new log on the same brokers sees everything the old one acknowledged. */
    @Override
    protected boolean canReopen() {
        return true;
    }

    @Override
    protected EventLog reopenLog(EventLog log) {
        log.close();
        return openLog();
    }

    /** Kafka members heartbeat from a background thread: close the connection without a leave-group request. */
    @Override
    protected void crashMember(LogConsumer member) {
        ((KafkaLogConsumer) member).crash();
    }

    /** Kafka's log cleaner waits for a dirty ratio and a backoff; retention runs on its check interval. */
    @Override
    protected Duration cleanerWait() {
        return Duration.ofSeconds(90);
    }
}
