package io.tributary.testbroker;

import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka ends the process on a fatal fault ({@code Exit.halt(1)} from its fault handlers). Inside a test or benchmark
 * JVM that would kill the test runner with no report, so the in-JVM brokers make Kafka throw instead: the failing
 * node's thread ends with the error, which is logged, and the JVM lives on to report it.
 */
final class KafkaExit {

    private static final Logger LOG = LoggerFactory.getLogger(KafkaExit.class);
    private static boolean installed;

    private KafkaExit() {
    }

    static synchronized void keepJvmAlive() {
        if (installed) {
            return;
        }
        installed = true;
        Exit.setExitProcedure((status, message) -> {
            LOG.error("An in-JVM Kafka broker asked to exit the JVM (status {}): {}", status, message);
            throw new IllegalStateException("An in-JVM Kafka broker asked to exit the JVM (status " + status + "): "
                    + message);
        });
        Exit.setHaltProcedure((status, message) -> {
            LOG.error("An in-JVM Kafka broker asked to halt the JVM (status {}): {}", status, message);
            throw new IllegalStateException("An in-JVM Kafka broker asked to halt the JVM (status " + status + "): "
                    + message);
        });
    }
}
