package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.key;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.EventLog;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The processor's interval commits on Kafka go through {@code LogConsumer.commitAsync} (Kafka's asynchronous commit,
 * answered inside the processor's next polls): they complete while it runs, and a new run starts where they left off.
 */
@Tag("slow")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaAsyncCommitProcessorTest {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void intervalCommitsCompleteWhileRunningAndANewRunStartsAtTheCommittedOffset() throws Exception {
        try (EventLog log = KafkaLogs.open()) {
            String topic = KafkaLogs.unique("kafka2-processor-orders");
            String group = KafkaLogs.unique("kafka2-processor-billing");
            createTopic(log, topic, 1);
            TopicPartition tp = new TopicPartition(topic, 0);
            produce(log, topic, List.of("a", "b"), 20); // offsets 0..39
            List<Integer> first = new CopyOnWriteArrayList<>();
            CountDownLatch stuck = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            try (Processor p = Processor.start(log, config(group, topic), e -> {
                if (seq(e) == 19 && key(e).equals("b")) { // offset 39, the last
                    stuck.countDown();
                    release.await(); // the last event stays in flight: only interval commits can store the rest
                }
                first.add(seq(e));
            })) {
                assertThat(stuck.await(60, TimeUnit.SECONDS)).isTrue();
                await("the interval commits stored progress below the event in flight", WAIT,
                        () -> committed(log, group, tp) == 39);
                await("the processor saw its commit complete", WAIT,
                        () -> Long.valueOf(39).equals(p.committedOffsets().get(tp)));
                release.countDown();
                await("the last event committed by an interval commit", WAIT,
                        () -> Long.valueOf(40).equals(p.committedOffsets().get(tp)));
            }
            assertThat(first).hasSize(40);

            produce(log, topic, List.of("a", "b"), 20, 25); // offsets 40..49
            List<Integer> second = new CopyOnWriteArrayList<>();
            try (Processor again = Processor.start(log, config(group, topic), e -> second.add(seq(e)))) {
                await("the new events handled", WAIT, () -> second.size() >= 10);
                await("and committed", WAIT, () -> committed(log, group, tp) == 50);
            }
            assertThat(second).as("the new run started at the committed offset: nothing handled twice")
                    .hasSize(10).allMatch(s -> s >= 20);
        }
    }
}
