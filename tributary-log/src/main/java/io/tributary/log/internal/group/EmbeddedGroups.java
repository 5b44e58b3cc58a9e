package io.tributary.log.internal.group;

import io.tributary.log.ConsumerConfig;
import io.tributary.log.GroupDescription;
import io.tributary.log.LogConsumer;
import io.tributary.log.OffsetSpec;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.ConsumerSide;
import io.tributary.log.internal.PartitionReads;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * PLACEHOLDER written by the integrator so the storage side compiles; the consumer-side helper replaces this whole
 * file. It must not survive to the end of the session.
 */
public final class EmbeddedGroups implements ConsumerSide {

    /**
     * @param reads    the storage side
     * @param groupDir folder for committed-offset checkpoints (created if missing)
     */
    public EmbeddedGroups(PartitionReads reads, Path groupDir) {
    }

    @Override
    public LogConsumer newConsumer(ConsumerConfig config) {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public List<String> listGroups() {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public GroupDescription describeGroup(String groupId) {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec) {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public void deleteGroup(String groupId) {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public void topicDeleted(String topic) {
        throw new IllegalStateException("consumer side not merged yet");
    }

    @Override
    public void close() {
    }
}
