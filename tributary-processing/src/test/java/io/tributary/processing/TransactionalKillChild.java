package io.tributary.processing;

import io.tributary.log.EventLog;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Child JVM of {@link TransactionalProcessorTest}: a transactional processor that, on its {@code killAfter}-th event,
 * emits that event's output (still uncommitted), tells the parent {@code MID-TRANSACTION} and hangs inside the
 * transaction until killed. Args: bootstrapServers inTopic outTopic processor instanceId killAfter.
 */
public final class TransactionalKillChild {

    private TransactionalKillChild() {
    }

    public static void main(String[] args) throws Exception {
        int killAfter = Integer.parseInt(args[5]);
        AtomicInteger seen = new AtomicInteger();
        try (EventLog log = KafkaLogs.open(args[0])) {
            ProcessorConfig config = TransactionalProcessorTest.config(args[3], args[1]);
            TransactionalProcessor p = TransactionalProcessor.start(log, config, args[4], (event, out) -> {
                out.emit(args[2], TransactionalProcessorTest.output(event));
                if (seen.incrementAndGet() == killAfter) {
                    Thread.sleep(1000); // lets the producer send the uncommitted outputs to the broker
                    System.out.println("MID-TRANSACTION after " + p(event));
                    System.out.flush();
                    Thread.sleep(300_000);
                }
            });
            p.awaitTermination(java.time.Duration.ofMinutes(5));
        }
    }

    private static String p(io.tributary.log.LogRecord e) {
        return e.topicPartition() + "@" + e.offset() + " " + new String(e.value(), StandardCharsets.UTF_8);
    }
}
