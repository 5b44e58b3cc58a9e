package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
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
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommittedOffsetTest extends GroupTestSupport {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    @Test
    void aNewMemberResumesAtTheCommittedOffsetSoOnlyTheUncommittedTailIsReadTwice() {
        reads.createTopic("orders", 3);
        fill("orders", 3, 40);
        LogConsumer first = consumer(fast("billing", "first").withMaxPollRecords(7));
        first.subscribe(List.of("orders"), listener("first"));
        List<LogRecord> seenFirst = new ArrayList<>(pollUntil(() -> first.assignment().size() == 3, first));
        while (seenFirst.size() < 60) {
            seenFirst.addAll(first.poll(Duration.ofMillis(10)));
        }
        first.commitSync();
        Map<TopicPartition, Long> committed = first.committed(new HashSet<>(partitions("orders", 3)));
        // Read more without committing: this tail is read again by the next member.
        seenFirst.addAll(first.poll(Duration.ofMillis(10)));
        first.close();

        LogConsumer second = consumer(fast("billing", "second"));
        second.subscribe(List.of("orders"), listener("second"));
        List<LogRecord> seenSecond = pollUntil(() -> second.assignment().size() == 3
                && partitions("orders", 3).stream().allMatch(tp -> second.position(tp) == 40), second);

        for (TopicPartition tp : partitions("orders", 3)) {
            List<Long> a = offsets(seenFirst, tp);
            List<Long> b = offsets(seenSecond, tp);
            long from = committed.getOrDefault(tp, 0L);
            assertThat(b).as("second resumes at the commit on " + tp)
                    .isEqualTo(LongStream.range(from, 40).boxed().toList());
            assertThat(a).as("first read a prefix").isEqualTo(LongStream.range(0, a.size()).boxed().toList());
            assertThat(a.size()).isGreaterThanOrEqualTo((int) from);
        }
    }

    private static List<Long> offsets(List<LogRecord> records, TopicPartition tp) {
        return records.stream().filter(r -> r.topicPartition().equals(tp)).map(LogRecord::offset).toList();
    }

    @Test
    void committedOffsetsSurviveReopening() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 10);
        LogConsumer c = consumer(ConsumerConfig.forGroup("billing"));
        c.assign(partitions("orders", 2));
        c.commitSync(Map.of(P0, 7L, new TopicPartition("orders", 1), 2L));

        reopenGroups();

        LogConsumer again = consumer(ConsumerConfig.forGroup("billing"));
        again.assign(partitions("orders", 2));
        assertThat(again.committed(Set.of(P0, new TopicPartition("orders", 1))))
                .isEqualTo(Map.of(P0, 7L, new TopicPartition("orders", 1), 2L));
        assertThat(again.position(P0)).isEqualTo(7);
    }

    @Test
    void commitSyncCommitsThePositionOfEveryAssignedPartition() {
        reads.createTopic("orders", 1);
        fill("orders", 1, 5);
        LogConsumer c = consumer(ConsumerConfig.forGroup("billing").withMaxPollRecords(3));
        c.assign(List.of(P0));
        c.poll(Duration.ZERO);
        c.commitSync();
        assertThat(c.committed(Set.of(P0))).isEqualTo(Map.of(P0, 3L));
    }

    @Test
    void committingWithoutAGroupOrWithANegativeOffsetIsRejected() {
        reads.createTopic("orders", 1);
        LogConsumer noGroup = consumer(ConsumerConfig.defaults());
        noGroup.assign(List.of(P0));
        assertThatThrownBy(noGroup::commitSync)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_ID_REQUIRED));
        LogConsumer c = consumer(ConsumerConfig.forGroup("billing"));
        c.assign(List.of(P0));
        assertThatThrownBy(() -> c.commitSync(Map.of(P0, -1L))).hasMessageContaining("0 or more");
        assertThatThrownBy(() -> c.commitSync(Map.of(new TopicPartition("orders", 3), 1L)))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NOT_PARTITION_OWNER));
        assertThat(c.committed(Set.of(P0))).isEmpty();
    }

    @Test
    void commitAsyncByAMemberChecksOwnershipInTheCallAndStoresTheOffsetsDurablyInCallOrder() throws Exception {
        reads.createTopic("orders", 2);
        fill("orders", 2, 10);
        LogConsumer c = consumer(fast("billing", "a"));
        c.subscribe(List.of("orders"), listener("a"));
        pollUntil(() -> c.assignment().size() == 2, c);

        assertThatThrownBy(() -> c.commitAsync(Map.of(new TopicPartition("orders", 5), 1L)))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NOT_PARTITION_OWNER));
        assertThatThrownBy(() -> c.commitAsync(Map.of(P0, -1L))).hasMessageContaining("0 or more");

        java.util.concurrent.CompletableFuture<Void> first = c.commitAsync(Map.of(P0, 3L));
        java.util.concurrent.CompletableFuture<Void> second = c.commitAsync(Map.of(P0, 6L));
        c.commitSync(Map.of(new TopicPartition("orders", 1), 4L));
        second.get(30, TimeUnit.SECONDS);
        first.get(30, TimeUnit.SECONDS);
        assertThat(c.committed(Set.of(P0, new TopicPartition("orders", 1))))
                .as("the later commit of P0 wins although both synced together")
                .isEqualTo(Map.of(P0, 6L, new TopicPartition("orders", 1), 4L));
        c.close();

        reopenGroups();
        LogConsumer again = consumer(ConsumerConfig.forGroup("billing"));
        again.assign(partitions("orders", 2));
        assertThat(again.committed(Set.of(P0))).as("durable across reopening").isEqualTo(Map.of(P0, 6L));
    }
}
