package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.append;
import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Record;
import io.tributary.kafka.internal.KafkaLogConsumer;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two members share a topic; one dies without leaving the group (its connection just closes, as when its process is
 * killed). Its partitions move to the survivor after the session timeout, the survivor resumes exactly at the
 * committed offsets, and the only records processed twice are the dead member's uncommitted tail.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsumerGroupHandoverTest {

    private static final int RECORDS = 200;

    /** One member as an application runs it: process what poll returns, commit every few records and on revoke. */
    static final class Member implements RebalanceListener {
        final String name;
        final LogConsumer consumer;
        final Map<TopicPartition, Long> processedUpTo = new HashMap<>();
        final Map<TopicPartition, Long> committed = new HashMap<>();
        final List<String> processed = new ArrayList<>();
        final Map<TopicPartition, Long> firstOffsetAfterTakeover = new HashMap<>();
        Set<TopicPartition> owned = new TreeSet<>();
        int sinceCommit;

        Member(EventLog log, String group, String name, String topic) {
            this.name = name;
            this.consumer = log.consumer(ConsumerConfig.forGroup(group).withClientId(name)
                    .withSessionTimeout(Duration.ofSeconds(2)).withMaxPollRecords(5));
            consumer.subscribe(List.of(topic), this);
        }

        void pollOnce(int commitEvery, int maxToProcess) {
            Map<TopicPartition, Long> unprocessed = new HashMap<>();
            for (LogRecord r : consumer.poll(Duration.ofMillis(100))) {
                if (processed.size() >= maxToProcess || unprocessed.containsKey(r.topicPartition())) {
                    // Not processed now: move back so the next poll returns it again.
                    unprocessed.putIfAbsent(r.topicPartition(), r.offset());
                    continue;
                }
                TopicPartition tp = r.topicPartition();
                firstOffsetAfterTakeover.putIfAbsent(tp, r.offset());
                processed.add(tp.partition() + "@" + r.offset());
                processedUpTo.put(tp, r.offset() + 1);
                if (++sinceCommit >= commitEvery) {
                    commit();
                }
            }
            unprocessed.forEach(consumer::seek);
        }

        void commit() {
            Map<TopicPartition, Long> mine = new HashMap<>();
            processedUpTo.forEach((tp, o) -> {
                if (owned.contains(tp)) {
                    mine.put(tp, o);
                }
            });
            if (!mine.isEmpty()) {
                consumer.commitSync(mine);
                committed.putAll(mine);
            }
            sinceCommit = 0;
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            commit();
            owned = new TreeSet<>(owned);
            owned.removeAll(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            owned = new TreeSet<>(owned);
            owned.addAll(partitions);
            partitions.forEach(firstOffsetAfterTakeover::remove);
        }
    }

    @Test
    void theSurvivorTakesOverAtTheCommittedOffsetsAndOnlyTheUncommittedTailIsProcessedTwice() {
        try (EventLog log = KafkaTestSupport.openLog()) {
            String topic = unique("handover");
            String group = unique("handover");
            log.admin().createTopic(NewTopic.of(topic, 4));
            try (LogProducer p = log.producer()) {
                append(p, topic, IntStream.range(0, RECORDS).mapToObj(i -> Record.of(bytes("k" + i), bytes("v" + i))).toList());
            }

            Member survivor = new Member(log, group, "survivor", topic);
            Member doomed = new Member(log, group, "doomed", topic);
            // Both poll until the group has settled with two owners.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (survivor.owned.isEmpty() || doomed.owned.isEmpty()
                    || survivor.owned.size() + doomed.owned.size() != 4) {
                assertThat(System.nanoTime()).as("group settles with two members").isLessThan(deadline);
                survivor.pollOnce(10, 0);
                doomed.pollOnce(10, 0);
            }
            // The doomed member processes 27 records, committing every 10: 7 stay uncommitted when it dies.
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (doomed.processed.size() < 27) {
                assertThat(System.nanoTime()).as("doomed member reads its records").isLessThan(deadline);
                doomed.pollOnce(10, 27);
                survivor.pollOnce(10, 0);
            }
            Set<TopicPartition> doomedPartitions = Set.copyOf(doomed.owned);
            Map<TopicPartition, Long> doomedCommitted = Map.copyOf(doomed.committed);
            Set<String> uncommittedTail = new HashSet<>();
            doomed.processedUpTo.forEach((tp, upTo) -> {
                for (long o = doomedCommitted.getOrDefault(tp, 0L); o < upTo; o++) {
                    uncommittedTail.add(tp.partition() + "@" + o);
                }
            });
            assertThat(uncommittedTail).hasSize(7);
            ((KafkaLogConsumer) doomed.consumer).crash();

            // The survivor alone: it gets the dead member's partitions after the session timeout and drains the topic.
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            Set<String> all = new HashSet<>(doomed.processed);
            while (!(survivor.owned.size() == 4 && allProcessed(survivor, doomed))) {
                assertThat(System.nanoTime()).as("survivor takes over and drains").isLessThan(deadline);
                survivor.pollOnce(10, Integer.MAX_VALUE);
            }
            survivor.commit();
            all.addAll(survivor.processed);

            assertThat(all).as("every record processed at least once").hasSize(RECORDS);
            List<String> everything = new ArrayList<>(survivor.processed);
            everything.addAll(doomed.processed);
            Map<String, Integer> counts = new HashMap<>();
            everything.forEach(k -> counts.merge(k, 1, Integer::sum));
            Set<String> twice = new TreeSet<>();
            counts.forEach((k, n) -> {
                assertThat(n).as("deliveries of %s", k).isLessThanOrEqualTo(2);
                if (n == 2) {
                    twice.add(k);
                }
            });
            assertThat(twice).as("processed twice: exactly the dead member's uncommitted tail")
                    .isEqualTo(new TreeSet<>(uncommittedTail));
            for (TopicPartition tp : doomedPartitions) {
                assertThat(survivor.firstOffsetAfterTakeover.get(tp)).as("%s resumes at the committed offset", tp)
                        .isEqualTo(doomedCommitted.getOrDefault(tp, 0L));
            }
            assertThat(log.admin().describeGroup(group).members()).singleElement()
                    .satisfies(m -> assertThat(m.clientId()).isEqualTo("survivor"));
            survivor.consumer.close();
        }
    }

    private static boolean allProcessed(Member a, Member b) {
        Set<String> seen = new HashSet<>(a.processed);
        seen.addAll(b.processed);
        return seen.size() == RECORDS;
    }
}
