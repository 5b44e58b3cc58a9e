package io.tributary.log.internal;

import io.tributary.log.GroupDescription;
import io.tributary.log.LogAdmin;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.TopicDescription;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.storage.EmbeddedStorage;
import java.util.List;
import java.util.Map;

/** The embedded engine's admin: topic operations on the storage, group operations on the consumer side. Thread-safe. */
final class EmbeddedAdmin implements LogAdmin {

    private final EmbeddedStorage storage;
    private final ConsumerSide consumers;

    EmbeddedAdmin(EmbeddedStorage storage, ConsumerSide consumers) {
        this.storage = storage;
        this.consumers = consumers;
    }

    @Override
    public TopicDescription createTopic(NewTopic topic) {
        return storage.createTopic(topic);
    }

    @Override
    public TopicDescription describeTopic(String topic) {
        return storage.describeTopic(topic);
    }

    @Override
    public boolean topicExists(String topic) {
        return storage.topicExists(topic);
    }

    @Override
    public List<String> listTopics() {
        return storage.listTopics();
    }

    @Override
    public void deleteTopic(String topic) {
        storage.deleteTopic(topic);
        consumers.topicDeleted(topic);
    }

    @Override
    public TopicDescription alterTopicConfig(String topic, Map<String, String> changes) {
        return storage.alterTopicConfig(topic, changes);
    }

    @Override
    public List<String> listGroups() {
        return consumers.listGroups();
    }

    @Override
    public GroupDescription describeGroup(String groupId) {
        return consumers.describeGroup(groupId);
    }

    @Override
    public Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec) {
        return consumers.resetOffsets(groupId, topic, spec);
    }

    @Override
    public void deleteGroup(String groupId) {
        consumers.deleteGroup(groupId);
    }
}
