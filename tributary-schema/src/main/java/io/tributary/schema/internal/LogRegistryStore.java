package io.tributary.schema.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogAdmin;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.ProducerConfig;
import io.tributary.log.TopicConfig;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import io.tributary.schema.SchemaErrors;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import org.jspecify.annotations.Nullable;

/**
 * The registry's state in a compacted, single-partition topic of the event log (by default {@code _schemas}, as
 * Confluent's), so it survives restarts and moves to Kafka with the rest of the data. One partition keeps every
 * write in one order; compaction keeps the latest value of each key.
 *
 * <p>Not thread-safe: the registry is the single writer and calls it under its write lock.
 */
public final class LogRegistryStore implements RegistryStore {

    private static final Duration POLL = Duration.ofMillis(200);

    private final EventLog log;
    private final String topic;
    private final Duration timeout;
    private final LogProducer producer;

    public LogRegistryStore(EventLog log, String topic, Duration timeout) {
        this.log = log;
        this.topic = topic;
        this.timeout = timeout;
        ensureTopic(log.admin());
        this.producer = log.producer(ProducerConfig.defaults().withClientId("tributary-schema-registry"));
    }

    private void ensureTopic(LogAdmin admin) {
        if (!admin.topicExists(topic)) {
            try {
                admin.createTopic(new NewTopic(topic, 1,
                        TopicConfig.of(Map.of(TopicConfig.CLEANUP_POLICY, "compact"))));
                return;
            } catch (TributaryException e) {
                if (!e.code().equals(LogErrors.TOPIC_ALREADY_EXISTS)) {
                    throw e;
                }
            }
        }
        TopicDescription d = admin.describeTopic(topic);
        if (d.partitionCount() != 1 || !d.config().isCompacted()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Topic '" + topic + "' holds the schema "
                    + "registry's state and must have 1 partition and cleanup.policy=compact, but has "
                    + d.partitionCount() + " partition(s) and cleanup.policy=" + d.config().effective()
                    .get(TopicConfig.CLEANUP_POLICY) + "; point the registry at another topic or recreate this one");
        }
    }

    @Override
    public void replay(BiConsumer<byte[], byte @Nullable []> sink) {
        TopicPartition tp = new TopicPartition(topic, 0);
        try (LogConsumer consumer = log.consumer(ConsumerConfig.defaults().withClientId("tributary-schema-registry"))) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long end = consumer.endOffsets(Set.of(tp)).getOrDefault(tp, 0L);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new RetriableException(SchemaErrors.OPERATION_TIMEOUT, "Reading the schema registry's "
                            + "topic '" + topic + "' did not reach offset " + end + " within " + timeout
                            + " (at " + consumer.position(tp) + "); check the log backend and start again");
                }
                for (LogRecord r : consumer.poll(POLL)) {
                    if (r.offset() < end && r.key() != null) {
                        sink.accept(r.key(), r.value());
                    }
                }
            }
        }
    }

    @Override
    public void put(byte[] key, byte @Nullable [] value) {
        try {
            producer.append(topic, 0, new Record(key, value, Headers.empty(), System.currentTimeMillis()))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(SchemaErrors.STORE_ERROR, "Interrupted while storing a schema registry "
                    + "record in topic '" + topic + "'; the change may or may not be stored, retry it", e);
        } catch (TimeoutException e) {
            throw new RetriableException(SchemaErrors.OPERATION_TIMEOUT, "Storing a schema registry record in topic '"
                    + topic + "' was not acknowledged within " + timeout + "; retry, and check the log backend", e);
        } catch (ExecutionException e) {
            throw new RetriableException(SchemaErrors.STORE_ERROR, "Storing a schema registry record in topic '"
                    + topic + "' failed: " + e.getCause() + "; it may or may not be stored (a restart shows which), retry once the log is healthy", e);
        }
    }

    @Override
    public String describe() {
        return "topic '" + topic + "' on the " + log.backend() + " log";
    }

    @Override
    public void close() {
        producer.close();
    }
}
