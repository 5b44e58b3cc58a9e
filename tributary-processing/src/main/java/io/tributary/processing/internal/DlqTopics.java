package io.tributary.processing.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/** Creates and reads the dead-letter and actions topics. Stateless and thread-safe. */
public final class DlqTopics {

    /** How long reading a whole topic may take before it counts as stuck. */
    private static final Duration READ_LIMIT = Duration.ofSeconds(60);

    private DlqTopics() {
    }

    /**
     * Creates the dead-letter topic (with {@code partitions} partitions, kept forever: entries must not expire while
     * they wait for an operator) and the compacted one-partition actions topic, where missing. Returns the
     * dead-letter topic's partition count. Another process creating them at the same time is fine.
     */
    public static int ensure(EventLog log, String dlqTopic, String actionsTopic, int partitions) {
        LogAdmin admin = log.admin();
        create(admin, new NewTopic(dlqTopic, partitions, TopicConfig.of(Map.of(TopicConfig.RETENTION_MS, "-1"))));
        create(admin, new NewTopic(actionsTopic, 1, TopicConfig.of(Map.of(TopicConfig.CLEANUP_POLICY, "compact"))));
        return admin.describeTopic(dlqTopic).partitionCount();
    }

    private static void create(LogAdmin admin, NewTopic topic) {
        if (admin.topicExists(topic.name())) {
            return;
        }
        try {
            admin.createTopic(topic);
        } catch (TributaryException e) {
            if (!e.code().equals(LogErrors.TOPIC_ALREADY_EXISTS)) {
                throw e;
            }
        }
    }

    /** Feeds every record of {@code topic} to {@code sink}, in offset order per partition, up to its end now. */
    public static void readAll(EventLog log, String topic, Consumer<LogRecord> sink) {
        try (LogConsumer c = log.consumer(ConsumerConfig.defaults().withClientId("tributary-dlq-reader"))) {
            List<TopicPartition> tps = IntStream.range(0, c.partitionCount(topic))
                    .mapToObj(p -> new TopicPartition(topic, p)).toList();
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.nanoTime() + READ_LIMIT.toNanos();
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new RetriableException(ErrorCode.TIMEOUT, "Reading topic '" + topic
                            + "' up to " + end + " took longer than " + READ_LIMIT + "; check that the log is "
                            + "healthy, then try again");
                }
                for (LogRecord r : c.poll(Duration.ofMillis(100))) {
                    if (r.offset() < end.get(r.topicPartition())) {
                        sink.accept(r);
                    }
                }
            }
        }
    }
}
