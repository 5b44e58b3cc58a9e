package io.tributary.log;

import java.util.List;

/**
 * A consumer group: its state, members with assignments, and committed offsets with lag.
 *
 * @param groupId group id
 * @param state   current state
 * @param members members and what each owns
 * @param offsets one entry per partition the group has committed or is assigned, sorted by partition
 */
public record GroupDescription(String groupId, GroupState state, List<GroupMember> members, List<PartitionLag> offsets) {

    public GroupDescription {
        members = List.copyOf(members);
        offsets = List.copyOf(offsets);
    }

    /** Sum of lag over every partition listed. */
    public long totalLag() {
        return offsets.stream().mapToLong(PartitionLag::lag).sum();
    }
}
