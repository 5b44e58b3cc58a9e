package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.Record;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.OffsetSpec;
import io.tributary.log.RebalanceListener;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The consumer side through the real embedded {@link EventLog}: real segments, real producer, real long-poll. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLogGroupsEndToEndTest {

    @TempDir
    Path dir;

    private EventLog open() {
        return EventLogs.open(Map.of(EmbeddedLogConfig.DATA_DIR, dir.toString()));
    }

    private static Record record(String key, String value) {
        return Record.of(key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @Test
    void twoGroupMembersTogetherReadEveryProducedRecordOnceAndInOrderPerKey() throws Exception {
        int keys = 40;
        int perKey = 50;
        try (EventLog log = open()) {
            log.admin().createTopic(NewTopic.of("orders", 4));
            List<LogRecord> seen = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            List<CompletableFuture<Void>> members = new ArrayList<>();
            for (String name : List.of("a", "b")) {
                members.add(CompletableFuture.runAsync(() -> consumeUntil(log, name, seen, stop)));
            }
            try (LogProducer producer = log.producer()) {
                List<CompletableFuture<?>> acks = new ArrayList<>();
                for (int i = 0; i < perKey; i++) {
                    for (int k = 0; k < keys; k++) {
                        acks.add(producer.append("orders", record("k" + k, Integer.toString(i))));
                    }
                }
                CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (seen.size() < keys * perKey && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            stop.set(true);
            for (CompletableFuture<Void> m : members) {
                m.get(10, TimeUnit.SECONDS);
            }

            assertThat(seen).hasSize(keys * perKey);
            Map<String, List<Integer>> byKey = new HashMap<>();
            for (LogRecord r : seen) {
                byKey.computeIfAbsent(text(r.key()), k -> new ArrayList<>()).add(Integer.parseInt(text(r.value())));
            }
            assertThat(byKey).hasSize(keys);
            byKey.forEach((k, values) -> assertThat(values).as(k)
                    .isEqualTo(java.util.stream.IntStream.range(0, perKey).boxed().toList()));
            assertThat(log.admin().describeGroup("billing").totalLag()).isZero();
        }
    }

    /** A member that commits after every poll and in its revoke callback, so a handoff neither loses nor repeats. */
    private static void consumeUntil(EventLog log, String name, List<LogRecord> seen, AtomicBoolean stop) {
        try (LogConsumer c = log.consumer(ConsumerConfig.forGroup("billing").withClientId(name)
                .withMaxPollRecords(100))) {
            c.subscribe(List.of("orders"), new RebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    c.commitSync();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                }
            });
            while (!stop.get()) {
                List<LogRecord> batch = c.poll(Duration.ofMillis(50));
                seen.addAll(batch);
                if (!batch.isEmpty()) {
                    c.commitSync();
                }
            }
        }
    }

    @Test
    void aGroupResumesAtItsCommittedOffsetsAfterTheLogIsReopened() throws Exception {
        TopicPartition p0 = new TopicPartition("orders", 0);
        try (EventLog log = open()) {
            log.admin().createTopic(NewTopic.of("orders", 1));
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < 100; i++) {
                    producer.append("orders", 0, record("k", "v" + i)).get(10, TimeUnit.SECONDS);
                }
            }
            try (LogConsumer c = log.consumer(ConsumerConfig.forGroup("billing").withMaxPollRecords(40))) {
                c.subscribe(List.of("orders"), RebalanceListener.NONE);
                List<LogRecord> got = new ArrayList<>();
                while (got.isEmpty()) {
                    got.addAll(c.poll(Duration.ofSeconds(1)));
                }
                assertThat(got).hasSize(40);
                c.commitSync();
            }
        }
        try (EventLog log = open()) {
            assertThat(log.admin().listGroups()).containsExactly("billing");
            assertThat(log.admin().describeGroup("billing").offsets()).singleElement()
                    .satisfies(l -> assertThat(l.lag()).isEqualTo(60));
            try (LogConsumer c = log.consumer(ConsumerConfig.forGroup("billing"))) {
                c.subscribe(List.of("orders"), RebalanceListener.NONE);
                List<LogRecord> got = new ArrayList<>();
                while (got.size() < 60) {
                    got.addAll(c.poll(Duration.ofSeconds(1)));
                }
                assertThat(got.getFirst().offset()).isEqualTo(40);
                assertThat(got.getLast().offset()).isEqualTo(99);
                assertThat(c.position(p0)).isEqualTo(100);
            }
        }
    }

    @Test
    void aBlockedPollWakesForAProducedRecordAndForWakeup() throws Exception {
        try (EventLog log = open()) {
            log.admin().createTopic(NewTopic.of("orders", 2));
            try (LogConsumer c = log.consumer(ConsumerConfig.defaults());
                 LogProducer producer = log.producer()) {
                c.assign(List.of(new TopicPartition("orders", 0), new TopicPartition("orders", 1)));
                assertThat(c.poll(Duration.ZERO)).isEmpty();
                CompletableFuture<?> later = CompletableFuture.runAsync(() -> {
                    sleep(100);
                    producer.append("orders", 1, record("k", "v")).join();
                });
                List<LogRecord> got = c.poll(Duration.ofSeconds(30));
                later.get(10, TimeUnit.SECONDS);
                assertThat(got).extracting(LogRecord::partition).containsExactly(1);

                CompletableFuture<?> waker = CompletableFuture.runAsync(() -> {
                    sleep(100);
                    c.wakeup();
                });
                long start = System.nanoTime();
                assertThat(c.poll(Duration.ofSeconds(30))).isEmpty();
                assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
                waker.get(10, TimeUnit.SECONDS);
                assertThat(Thread.currentThread().isInterrupted()).isFalse();
            }
        }
    }

    @Test
    void adminResetsOnlyAnEmptyGroupAndDeletingTheTopicDropsItsOffsets() throws Exception {
        try (EventLog log = open()) {
            log.admin().createTopic(NewTopic.of("orders", 2));
            try (LogProducer producer = log.producer()) {
                for (int i = 0; i < 10; i++) {
                    producer.append("orders", i % 2, record("k", "v" + i)).get(10, TimeUnit.SECONDS);
                }
            }
            try (LogConsumer member = log.consumer(ConsumerConfig.forGroup("billing").withClientId("worker"))) {
                member.subscribe(List.of("orders"), RebalanceListener.NONE);
                while (member.assignment().size() < 2) {
                    member.poll(Duration.ofMillis(50));
                }
                assertThatThrownBy(() -> log.admin().resetOffsets("billing", "orders", OffsetSpec.latest()))
                        .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.GROUP_NOT_EMPTY))
                        .hasMessageContaining("worker");
            }
            assertThat(log.admin().resetOffsets("billing", "orders", OffsetSpec.atOffset(3)))
                    .isEqualTo(Map.of(new TopicPartition("orders", 0), 3L, new TopicPartition("orders", 1), 3L));
            assertThat(log.admin().describeGroup("billing").totalLag()).isEqualTo(4);

            log.admin().deleteTopic("orders");
            assertThat(log.admin().listGroups()).doesNotContain("billing");
            assertThat(Set.copyOf(log.admin().listTopics())).doesNotContain("orders");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
