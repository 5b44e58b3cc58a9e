package io.tributary.log;

import java.util.List;
import java.util.Map;

/**
 * Topics and groups. Thread-safe. Calls block until the change is durable or has failed.
 */
public interface LogAdmin {

    /** Creates a topic; {@link LogErrors#TOPIC_ALREADY_EXISTS} if the name is taken. */
    TopicDescription createTopic(NewTopic topic);

    /** Describes a topic; {@link LogErrors#TOPIC_NOT_FOUND} (with how to create it) if absent. */
    TopicDescription describeTopic(String topic);

    /** Whether a topic exists. */
    boolean topicExists(String topic);

    /** Topic names, sorted. */
    List<String> listTopics();

    /** Deletes a topic and its data. */
    void deleteTopic(String topic);

    /** Applies config changes (validated together with the existing overrides) and returns the new description. */
    TopicDescription alterTopicConfig(String topic, Map<String, String> changes);

    /** Group ids, sorted. */
    List<String> listGroups();

    /** Describes a group; {@link LogErrors#GROUP_NOT_FOUND} if it has neither members nor committed offsets. */
    GroupDescription describeGroup(String groupId);

    /**
     * Moves a group's committed offsets for every partition of {@code topic}. The group must have no active
     * members ({@link LogErrors#GROUP_NOT_EMPTY} otherwise, naming them). Returns the new offsets.
     */
    Map<TopicPartition, Long> resetOffsets(String groupId, String topic, OffsetSpec spec);

    /** Deletes a group's committed offsets; it must have no active members. */
    void deleteGroup(String groupId);
}
