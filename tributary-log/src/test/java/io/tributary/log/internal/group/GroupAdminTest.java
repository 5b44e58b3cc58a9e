package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.GroupState;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.OffsetSpec;
import io.tributary.log.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GroupAdminTest extends GroupTestSupport {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private void commit(String group, Map<TopicPartition, Long> offsets) {
        LogConsumer c = consumer(ConsumerConfig.forGroup(group));
        c.assign(offsets.keySet());
        c.commitSync(offsets);
        c.close();
    }

    @Test
    void listsGroupsWithMembersOrCommittedOffsetsSorted() {
        reads.createTopic("orders", 2);
        commit("zeta", Map.of(P0, 0L));
        LogConsumer member = consumer(fast("alpha", "a"));
        member.subscribe(List.of("orders"), listener("a"));
        assertThat(groups.listGroups()).containsExactly("alpha", "zeta");
    }

    @Test
    void describesAGroupWithOnlyCommittedOffsetsAsEmptyWithLag() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 10);
        commit("billing", Map.of(P0, 4L, P1, 10L));
        var d = groups.describeGroup("billing");
        assertThat(d.state()).isEqualTo(GroupState.EMPTY);
        assertThat(d.members()).isEmpty();
        assertThat(d.offsets()).extracting(o -> o.partition() + "=" + o.lag()).containsExactly("orders-0=6", "orders-1=0");
    }

    @Test
    void unknownGroupIsNotFound() {
        assertThatThrownBy(() -> groups.describeGroup("ghost")).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_NOT_FOUND))
                .hasMessageContaining("ghost");
        assertThatThrownBy(() -> groups.deleteGroup("ghost"))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_NOT_FOUND));
    }

    @Test
    void resetIsRefusedWhileTheGroupHasMembersNamingThem() {
        reads.createTopic("orders", 2);
        LogConsumer member = consumer(fast("billing", "worker-1"));
        member.subscribe(List.of("orders"), listener("m"));

        assertThatThrownBy(() -> groups.resetOffsets("billing", "orders", OffsetSpec.earliest()))
                .isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_NOT_EMPTY))
                .hasMessageContaining("worker-1").hasMessageContaining("Stop them first");
        assertThatThrownBy(() -> groups.deleteGroup("billing"))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_NOT_EMPTY));

        member.close();
        assertThat(groups.resetOffsets("billing", "orders", OffsetSpec.earliest())).isEqualTo(Map.of(P0, 0L, P1, 0L));
    }

    @Test
    void resetsToEarliestLatestTimestampAndOffset() {
        reads.createTopic("orders", 2);
        for (int i = 0; i < 10; i++) {
            reads.append(P0, "a" + i, 1000 + i);
            reads.append(P1, "b" + i, 2000 + i);
        }
        reads.deleteBefore(P0, 2);

        assertThat(groups.resetOffsets("g", "orders", OffsetSpec.earliest())).isEqualTo(Map.of(P0, 2L, P1, 0L));
        assertThat(groups.resetOffsets("g", "orders", OffsetSpec.latest())).isEqualTo(Map.of(P0, 10L, P1, 10L));
        assertThat(groups.resetOffsets("g", "orders", OffsetSpec.atTimestamp(1005))).isEqualTo(Map.of(P0, 5L, P1, 0L));
        assertThat(groups.resetOffsets("g", "orders", OffsetSpec.atTimestamp(2005))).isEqualTo(Map.of(P0, 10L, P1, 5L));
        assertThat(groups.resetOffsets("g", "orders", OffsetSpec.atOffset(4))).isEqualTo(Map.of(P0, 4L, P1, 4L));

        LogConsumer c = consumer(ConsumerConfig.forGroup("g"));
        c.assign(List.of(P0, P1));
        assertThat(c.position(P0)).isEqualTo(4);
        assertThat(groups.describeGroup("g").totalLag()).isEqualTo(12);
    }

    @Test
    void resetToAnOffsetOutsideAnyPartitionsRangeChangesNothing() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 5);
        reads.deleteBefore(P1, 3);
        commit("g", Map.of(P0, 1L, P1, 4L));

        assertThatThrownBy(() -> groups.resetOffsets("g", "orders", OffsetSpec.atOffset(2)))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE))
                .hasMessageContaining("orders-1 holds [3, 5]").hasMessageContaining("Nothing was changed");
        assertThat(groups.describeGroup("g").offsets()).extracting(o -> o.committedOffset()).containsExactly(1L, 4L);
        assertThatThrownBy(() -> groups.resetOffsets("g", "nope", OffsetSpec.earliest()))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.TOPIC_NOT_FOUND));
    }

    @Test
    void deletingAGroupForgetsItsOffsetsDurably() {
        reads.createTopic("orders", 1);
        commit("g", Map.of(P0, 1L));
        groups.deleteGroup("g");
        assertThat(groups.listGroups()).isEmpty();
        reopenGroups();
        assertThat(groups.listGroups()).isEmpty();
    }
}
