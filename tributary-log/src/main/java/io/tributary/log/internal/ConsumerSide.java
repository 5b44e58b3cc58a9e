package io.tributary.log.internal;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.GroupDescription;
import io.tributary.log.LogConsumer;
import io.tributary.log.OffsetSpec;
import io.tributary.log.TopicPartition;
import java.util.List;
import java.util.Map;

/**
 * What the consumer side of the embedded engine offers the log: consumers, consumer groups and their durable
 * committed offsets. Implemented by {@code io.tributary.log.internal.group.EmbeddedGroups}; thread-safe.
 */
public interface ConsumerSide extends AutoCloseable {

    /** A new consumer reading through the {@link PartitionReads} this side was built with. */
    LogConsumer newConsumer(ConsumerConfig config);

    /** Group ids with members or committed offsets, sorted. */
    List<String> listGroups();

    GroupDescription describeGroup(String groupId);

    Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec);

    void deleteGroup(String groupId);

    /** A topic was deleted: drop its committed offsets and take its partitions from every member. */
    void topicDeleted(String topic);

    /** Closes every consumer and flushes committed offsets. */
    @Override
    void close();
}
