package io.tributary.kafka;

import static io.tributary.kafka.KafkaTestSupport.append;
import static io.tributary.kafka.KafkaTestSupport.bytes;
import static io.tributary.kafka.KafkaTestSupport.unique;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.Record;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogProducer;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import io.tributary.kafka.internal.KafkaLogConsumer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code LogConsumer.commitAsync} on Kafka, against the in-JVM broker: the SPI's contract, kept. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaAsyncCommitTest {

    private EventLog log;
    private String topic;
    private TopicPartition tp;

    @BeforeEach
    void open() {
        log = KafkaTestSupport.openLog();
        topic = unique("kafka2-async-commit");
        log.admin().createTopic(NewTopic.of(topic, 1));
        tp = new TopicPartition(topic, 0);
        try (LogProducer p = log.producer()) {
            append(p, topic, IntStream.range(0, 10).mapToObj(i -> Record.of(null, bytes("v" + i))).toList());
        }
    }

    @AfterEach
    void close() {
        log.close();
    }

    private LogConsumer member(String group) {
        LogConsumer c = log.consumer(ConsumerConfig.forGroup(group).withMaxPollRecords(4));
        c.assign(List.of(tp));
        return c;
    }

    private static void pollUntilDone(LogConsumer c, CompletableFuture<?> f) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!f.isDone()) {
            assertThat(System.nanoTime()).as("the commit completed within 60 s of polling").isLessThan(deadline);
            c.poll(Duration.ofMillis(100));
        }
    }

    @Test
    void checksOwnershipAndOffsetsInTheCallAndCommitsNothingWhenTheyFail() {
        String group = unique("kafka2-async-checks");
        try (LogConsumer c = member(group)) {
            InvalidRequestException notOwned = catchThrowableOfType(InvalidRequestException.class,
                    () -> c.commitAsync(Map.of(tp, 1L, new TopicPartition(topic, 5), 1L)));
            assertThat(notOwned.code()).isEqualTo(LogErrors.NOT_PARTITION_OWNER);
            InvalidRequestException negative = catchThrowableOfType(InvalidRequestException.class,
                    () -> c.commitAsync(Map.of(tp, -1L)));
            assertThat(negative.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
            assertThat(negative.getMessage()).contains("0 or more");
            assertThat(c.committed(Set.of(tp))).isEmpty();
        }
    }

    @Test
    void returnsAtOnceAndCompletesInLaterPollsInCallOrderWithTheLastCommitWinning() {
        String group = unique("kafka2-async-order");
        try (LogConsumer c = member(group)) {
            c.poll(Duration.ofMillis(100));
            List<Long> completed = new CopyOnWriteArrayList<>();
            CompletableFuture<Void> first = c.commitAsync(Map.of(tp, 3L));
            first.thenRun(() -> completed.add(3L));
            CompletableFuture<Void> second = c.commitAsync(Map.of(tp, 6L));
            second.thenRun(() -> completed.add(6L));
            assertThat(second).as("returned before Kafka answered: its callback runs in a later poll").isNotDone();

            pollUntilDone(c, second);
            assertThat(first).isCompleted();
            assertThat(completed).containsExactly(3L, 6L);
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, 6L);
        }
        try (LogConsumer next = member(group)) {
            assertThat(next.poll(Duration.ofSeconds(30))).as("a new member resumes at the committed offset")
                    .first().extracting(LogRecord::offset).isEqualTo(6L);
        }
    }

    @Test
    void waitingOnTheFutureFromThePollingThreadCompletesItWithoutAPoll() throws Exception {
        String group = unique("kafka2-async-wait");
        try (LogConsumer c = member(group)) {
            CompletableFuture<Void> f = c.commitAsync(Map.of(tp, 5L));
            long start = System.nanoTime();
            f.get(30, TimeUnit.SECONDS);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, 5L);
            assertThat(c.commitAsync(Map.of(tp, 7L)).join()).isNull();
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, 7L);
        }
    }

    @Test
    void aCommitOfThePositionAfterSeekingBackStopsAtTheFirstHandedBackRecord() {
        String group = unique("kafka2-async-handback");
        try (LogConsumer c = member(group)) {
            List<LogRecord> got = List.of();
            while (got.isEmpty()) {
                got = c.poll(Duration.ofSeconds(1));
            }
            long from = got.getLast().offset();
            c.seek(tp, from); // hands the last record back: Kafka's own position is past it
            c.commitAsync(Map.of(tp, c.position(tp))).join();
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, from);
        }
    }

    @Test
    void aCommitSyncAfterAsyncCommitsReturnsOnlyOnceTheyCompleted() {
        String group = unique("kafka2-async-then-sync");
        try (LogConsumer c = member(group)) {
            CompletableFuture<Void> async = c.commitAsync(Map.of(tp, 2L));
            c.commitSync(Map.of(tp, 4L));
            assertThat(async).as("completed inside commitSync, before it").isCompleted();
            assertThat(c.committed(Set.of(tp))).containsEntry(tp, 4L);
        }
    }

    @Test
    void everyFutureIsCompletedOnceTheConsumerIsGoneEvenIfKafkaNeverAnswered() {
        String group = unique("kafka2-async-crash");
        LogConsumer c = member(group);
        CompletableFuture<Void> f = c.commitAsync(Map.of(tp, 2L));
        ((KafkaLogConsumer) c).crash(); // closes without waiting for anything
        assertThat(f).isDone();
        if (f.isCompletedExceptionally()) {
            ExecutionException failed = catchThrowableOfType(ExecutionException.class, f::get);
            assertThat(failed.getCause()).isInstanceOf(io.tributary.core.TributaryException.class);
        }
    }
}
