package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ConflictException;
import io.tributary.core.TributaryException;
import io.tributary.log.GroupDescription;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsumerGroupTest extends GroupTestSupport {

    @Test
    void firstMemberGetsEveryPartitionAndTheListenerRunsOnItsOwnThreadInsidePoll() {
        reads.createTopic("orders", 4);
        LogConsumer a = consumer(fast("billing", "a"));
        RecordingListener la = listener("a");
        a.subscribe(List.of("orders"), la);
        assertThat(events).isEmpty();

        pollUntil(() -> a.assignment().size() == 4, a);

        assertThat(events).containsExactly("a assigned [orders-0, orders-1, orders-2, orders-3]");
        assertThat(la.threads).containsOnly(Thread.currentThread().getName());
        assertThat(a.groupMetadata()).hasValueSatisfying(m -> {
            assertThat(m.groupId()).isEqualTo("billing");
            assertThat(m.memberId()).startsWith("a-");
        });
    }

    @Test
    void joinMovesHalfThePartitionsRevokedFromTheOldOwnerBeforeTheNewOneGetsThem() {
        reads.createTopic("orders", 4);
        LogConsumer a = consumer(fast("billing", "a"));
        LogConsumer b = consumer(fast("billing", "b"));
        a.subscribe(List.of("orders"), listener("a"));
        pollUntil(() -> a.assignment().size() == 4, a);

        b.subscribe(List.of("orders"), listener("b"));
        pollUntil(() -> a.assignment().size() == 2 && b.assignment().size() == 2, a, b);

        assertThat(union(a, b)).containsExactlyElementsOf(partitions("orders", 4));
        assertThat(events).hasSize(3);
        String revoked = events.get(1);
        String assigned = events.get(2);
        assertThat(revoked).startsWith("a revoked ");
        assertThat(assigned).isEqualTo("b assigned " + revoked.substring("a revoked ".length()));
    }

    @Test
    void leavingMemberIsRevokedAndItsPartitionsGoToTheRest() {
        reads.createTopic("orders", 4);
        LogConsumer a = consumer(fast("billing", "a"));
        LogConsumer b = consumer(fast("billing", "b"));
        a.subscribe(List.of("orders"), listener("a"));
        b.subscribe(List.of("orders"), listener("b"));
        pollUntil(() -> a.assignment().size() == 2 && b.assignment().size() == 2, a, b);
        Set<TopicPartition> fromB = new java.util.TreeSet<>(b.assignment());
        events.clear();

        b.close();
        pollUntil(() -> a.assignment().size() == 4, a);

        assertThat(events).containsExactly("b revoked " + fromB, "a assigned " + fromB);
        assertThat(groups.describeGroup("billing").members()).hasSize(1);
    }

    @Test
    void newOwnerReadsNothingUntilThePreviousOwnerHadItsRevokeCallbackAndResumesWhereItCommitted() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 50);
        LogConsumer a = consumer(fast("billing", "a").withMaxPollRecords(10));
        a.subscribe(List.of("orders"), new io.tributary.log.RebalanceListener() {
            @Override
            public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                a.commitSync();
            }

            @Override
            public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
            }
        });
        List<LogRecord> readByA = new ArrayList<>(pollUntil(() -> a.assignment().size() == 2, a));
        readByA.addAll(a.poll(Duration.ofMillis(100)));
        readByA.addAll(a.poll(Duration.ofMillis(100)));

        LogConsumer b = consumer(fast("billing", "b"));
        b.subscribe(List.of("orders"), listener("b"));
        // a does not poll, so it has not been told to give anything up: b must wait, however long it polls.
        for (int i = 0; i < 5; i++) {
            assertThat(b.poll(Duration.ofMillis(50))).isEmpty();
        }
        assertThat(b.assignment()).isEmpty();
        assertThat(groups.describeGroup("billing").state().name()).isEqualTo("PREPARING_REBALANCE");

        readByA.addAll(a.poll(Duration.ofMillis(50))); // a reconciles: its revoke callback commits
        List<LogRecord> readByB = new ArrayList<>(pollUntil(() -> b.assignment().size() == 1, b));
        TopicPartition moved = b.assignment().iterator().next();
        readByB.addAll(pollUntil(() -> b.position(moved) == 50, b));
        List<Long> offsets = new ArrayList<>();
        readByA.stream().filter(r -> r.topicPartition().equals(moved)).forEach(r -> offsets.add(r.offset()));
        readByB.stream().filter(r -> r.topicPartition().equals(moved)).forEach(r -> offsets.add(r.offset()));
        assertThat(offsets).as("a then b on the moved partition: every offset once, in order")
                .isEqualTo(java.util.stream.LongStream.range(0, 50).boxed().toList());
    }

    @Test
    void memberWhosePollingThreadDiedIsRemovedAfterTheSessionTimeout() throws Exception {
        reads.createTopic("orders", 4);
        LogConsumer a = consumer(fast("billing", "a").withMaxPollInterval(Duration.ofMinutes(5)));
        LogConsumer b = consumer(fast("billing", "b").withMaxPollInterval(Duration.ofMinutes(5)));
        b.subscribe(List.of("orders"), listener("b"));
        pollUntil(() -> b.assignment().size() == 4, b);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong diedAt = new java.util.concurrent.atomic.AtomicLong();
        Thread worker = Thread.ofPlatform().name("dies-without-close").start(() -> {
            try {
                a.subscribe(List.of("orders"), listener("a"));
                long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (a.assignment().size() < 2 && System.nanoTime() < until) {
                    a.poll(Duration.ofMillis(20));
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                diedAt.set(System.nanoTime());
            }
        });
        while (worker.isAlive()) {
            b.poll(Duration.ofMillis(20));
        }
        assertThat(failure.get()).isNull();
        pollUntil(() -> b.assignment().size() == 2, b);

        pollUntil(() -> b.assignment().size() == 4, b);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - diedAt.get());

        // The last heartbeat came at most one 0.5 s interval before the thread ended, so removal takes at least
        // 1.5 - 0.5 s; the upper bound leaves room for a loaded machine.
        assertThat(tookMs).as("removed after the 1.5 s session timeout, detected within a heartbeat")
                .isBetween(1000L, 8000L);
        assertThat(groups.describeGroup("billing").members()).extracting(m -> m.clientId()).containsExactly("b");
    }

    @Test
    void memberThatStopsPollingForMaxPollIntervalIsRemovedAndRejoinsAtItsNextPoll() {
        reads.createTopic("orders", 4);
        LogConsumer a = consumer(fast("billing", "a").withMaxPollInterval(Duration.ofMillis(400)));
        LogConsumer b = consumer(fast("billing", "b"));
        RecordingListener la = listener("a");
        a.subscribe(List.of("orders"), la);
        b.subscribe(List.of("orders"), listener("b"));
        pollUntil(() -> a.assignment().size() == 2 && b.assignment().size() == 2, a, b);
        Set<TopicPartition> fromA = new java.util.TreeSet<>(a.assignment());
        String firstMember = a.groupMetadata().orElseThrow().memberId();
        events.clear();

        pollUntil(() -> b.assignment().size() == 4, b);
        assertThat(groups.describeGroup("billing").members()).extracting(m -> m.clientId()).containsExactly("b");

        List<Throwable> commitFailures = new ArrayList<>();
        a.subscribe(List.of("orders"), new io.tributary.log.RebalanceListener() {
            @Override
            public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {
                la.onPartitionsRevoked(partitions);
                try {
                    a.commitSync(Map.of(partitions.iterator().next(), 0L));
                } catch (TributaryException e) {
                    commitFailures.add(e);
                }
            }

            @Override
            public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                la.onPartitionsAssigned(partitions);
            }
        });
        pollUntil(() -> a.assignment().size() == 2 && b.assignment().size() == 2, a, b);

        assertThat(events).contains("a revoked " + fromA);
        assertThat(commitFailures).singleElement().satisfies(e ->
                assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NOT_PARTITION_OWNER));
        assertThat(a.groupMetadata().orElseThrow().memberId()).isNotEqualTo(firstMember);
    }

    @Test
    void topicCreatedAfterSubscribingIsPickedUp() {
        LogConsumer a = consumer(fast("billing", "a"));
        a.subscribe(List.of("orders", "refunds"), listener("a"));
        assertThat(a.poll(Duration.ofMillis(50))).isEmpty();

        reads.createTopic("refunds", 2);
        reads.append(new TopicPartition("refunds", 1), "r1");
        List<LogRecord> got = new ArrayList<>();
        pollUntil(() -> got.addAll(a.poll(Duration.ofMillis(20))) && !got.isEmpty());

        assertThat(events).containsExactly("a assigned [refunds-0, refunds-1]");
        assertThat(got).extracting(LogRecord::offset).containsExactly(0L);
    }

    @Test
    void deletedTopicLeavesEveryAssignmentAndItsCommittedOffsetsAreDropped() {
        reads.createTopic("orders", 2);
        reads.createTopic("refunds", 2);
        fill("orders", 2, 3);
        LogConsumer a = consumer(fast("billing", "a"));
        a.subscribe(List.of("orders", "refunds"), listener("a"));
        pollUntil(() -> a.assignment().size() == 4, a);
        pollUntil(() -> a.position(new TopicPartition("orders", 0)) == 3 && a.position(new TopicPartition("orders", 1)) == 3, a);
        a.commitSync();
        events.clear();

        reads.deleteTopic("orders");
        groups.topicDeleted("orders");
        pollUntil(() -> a.assignment().size() == 2, a);

        assertThat(events).containsExactly("a revoked [orders-0, orders-1]");
        assertThat(a.assignment()).containsExactlyInAnyOrderElementsOf(partitions("refunds", 2));
        assertThat(a.committed(new HashSet<>(partitions("orders", 2)))).isEmpty();
    }

    @Test
    void commitByAMemberForAPartitionItDoesNotOwnIsRejectedNamingPartitionGroupAndMemberAndCommitsNothing() {
        reads.createTopic("orders", 2);
        LogConsumer a = consumer(fast("billing", "a"));
        LogConsumer b = consumer(fast("billing", "b"));
        a.subscribe(List.of("orders"), listener("a"));
        b.subscribe(List.of("orders"), listener("b"));
        pollUntil(() -> a.assignment().size() == 1 && b.assignment().size() == 1, a, b);
        TopicPartition mine = a.assignment().iterator().next();
        TopicPartition theirs = b.assignment().iterator().next();
        String member = a.groupMetadata().orElseThrow().memberId();

        assertThatThrownBy(() -> a.commitSync(Map.of(mine, 0L, theirs, 0L)))
                .isInstanceOf(ConflictException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NOT_PARTITION_OWNER))
                .hasMessageContaining(theirs.toString()).hasMessageContaining("billing").hasMessageContaining(member)
                .hasMessageContaining("nothing was committed");
        assertThat(a.committed(Set.of(mine, theirs))).isEmpty();
    }

    @Test
    void manuallyAssignedConsumerCannotCommitOverALiveMembersPartition() {
        reads.createTopic("orders", 1);
        LogConsumer member = consumer(fast("billing", "member"));
        member.subscribe(List.of("orders"), listener("member"));
        pollUntil(() -> member.assignment().size() == 1, member);
        LogConsumer manual = consumer(fast("billing", "manual"));
        manual.assign(partitions("orders", 1));

        assertThatThrownBy(() -> manual.commitSync(Map.of(new TopicPartition("orders", 0), 0L)))
                .isInstanceOf(ConflictException.class).hasMessageContaining("member-");
    }

    @Test
    void subscribingWithoutAGroupIdIsRejected() {
        LogConsumer c = consumer(io.tributary.log.ConsumerConfig.defaults());
        assertThatThrownBy(() -> c.subscribe(List.of("orders"), listener("c")))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_ID_REQUIRED))
                .hasMessageContaining("forGroup");
    }

    @Test
    void describeShowsStableGroupWithMembersClientIdsAssignmentsAndLag() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 10);
        LogConsumer a = consumer(fast("billing", "a"));
        a.subscribe(List.of("orders"), listener("a"));
        pollUntil(() -> a.assignment().size() == 2, a);
        a.commitSync(Map.of(new TopicPartition("orders", 0), 4L));

        GroupDescription d = groups.describeGroup("billing");

        assertThat(d.state().name()).isEqualTo("STABLE");
        assertThat(d.members()).singleElement().satisfies(m -> {
            assertThat(m.clientId()).isEqualTo("a");
            assertThat(m.assignment()).containsExactlyInAnyOrderElementsOf(partitions("orders", 2));
        });
        assertThat(d.offsets()).extracting(o -> o.partition().toString() + ":" + o.committedOffset() + "/" + o.lag())
                .containsExactly("orders-0:4/6", "orders-1:-1/10");
        assertThat(d.totalLag()).isEqualTo(16);
    }
}
