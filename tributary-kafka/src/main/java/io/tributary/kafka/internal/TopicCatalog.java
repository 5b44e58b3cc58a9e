package io.tributary.kafka.internal;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.log.LogErrors;
import io.tributary.core.Record;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What producers must know of a topic before sending, so that an unknown topic, a partition out of range or a record
 * over {@code max.message.bytes} is thrown by the append call itself (as the API promises), not minutes later: the
 * partition count and the size limit, fetched with the admin client and kept for {@link #MAX_AGE_MS}. A cached value
 * that would reject a record is refreshed once before rejecting (the topic may have grown). Absent topics are never
 * cached. Thread-safe.
 */
final class TopicCatalog {

    static final long MAX_AGE_MS = 10_000;

    record Entry(int partitions, int maxMessageBytes, long fetchedAtNanos) {
    }

    private final Admin admin;
    private final KafkaErrors errors;
    private final long timeoutMs;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();

    TopicCatalog(Admin admin, KafkaErrors errors, long timeoutMs) {
        this.admin = admin;
        this.errors = errors;
        this.timeoutMs = timeoutMs;
    }

    void forget(String topic) {
        entries.remove(topic);
    }

    /** Checks the topic exists, the partition (if any) is in range and the record fits; throws otherwise. */
    void checkAppend(String topic, int partition, Record record) {
        Entry e = entry(topic, false);
        boolean partitionBad = partition >= e.partitions();
        boolean tooLarge = record.sizeInBytes() > e.maxMessageBytes();
        if (partitionBad || tooLarge) {
            e = entry(topic, true);
        }
        if (partition >= e.partitions() || partition < -1) {
            throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, "Partition " + partition
                    + " of topic '" + topic + "' does not exist: the topic has " + e.partitions() + " partitions (0 to "
                    + (e.partitions() - 1) + "); append to one of those, or add partitions to the topic.");
        }
        if (record.sizeInBytes() > e.maxMessageBytes()) {
            throw new InvalidRequestException(LogErrors.RECORD_TOO_LARGE, "A record of " + record.sizeInBytes()
                    + " bytes (key + value + headers) is larger than max.message.bytes=" + e.maxMessageBytes()
                    + " of topic '" + topic + "'; make it smaller, or raise the limit with alterTopicConfig('" + topic
                    + "', {max.message.bytes: ...}).");
        }
    }

    int partitionCount(String topic) {
        return entry(topic, false).partitions();
    }

    private Entry entry(String topic, boolean refresh) {
        Entry e = entries.get(topic);
        if (e != null && !refresh && System.nanoTime() - e.fetchedAtNanos() < TimeUnit.MILLISECONDS.toNanos(MAX_AGE_MS)) {
            return e;
        }
        Entry fresh = fetch(topic);
        entries.put(topic, fresh);
        return fresh;
    }

    private Entry fetch(String topic) {
        try {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames()
                    .get(timeoutMs, TimeUnit.MILLISECONDS).get(topic);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config c = admin.describeConfigs(List.of(r)).all().get(timeoutMs, TimeUnit.MILLISECONDS).get(r);
            ConfigEntry max = c.get("max.message.bytes");
            int maxBytes = max == null || max.value() == null ? Integer.MAX_VALUE : Integer.parseInt(max.value());
            return new Entry(d.partitions().size(), maxBytes, System.nanoTime());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw errors.translate(ex, "look up topic '" + topic + "'", timeoutMs);
        } catch (java.util.concurrent.TimeoutException ex) {
            throw errors.translate(new org.apache.kafka.common.errors.TimeoutException(ex.getMessage()),
                    "look up topic '" + topic + "'", timeoutMs);
        } catch (Exception ex) {
            if (KafkaErrors.unwrap(ex) instanceof UnknownTopicOrPartitionException) {
                throw topicNotFound(topic);
            }
            throw errors.translate(ex, "look up topic '" + topic + "'", timeoutMs);
        }
    }

    static NotFoundException topicNotFound(String topic) {
        return new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + topic + "' does not exist; create it with "
                + "LogAdmin.createTopic(NewTopic.of(\"" + topic + "\", 8)) or 'tributary log create-topic " + topic
                + " --partitions 8' (Kafka's auto.create.topics.enable is not relied on).");
    }
}
