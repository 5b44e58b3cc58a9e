package io.tributary.log;

import java.util.Set;

/**
 * One member of a consumer group.
 *
 * @param memberId   id the group gave the member
 * @param clientId   the consumer's client id
 * @param assignment partitions it owns now
 */
public record GroupMember(String memberId, String clientId, Set<TopicPartition> assignment) {

    public GroupMember {
        assignment = Set.copyOf(assignment);
    }
}
