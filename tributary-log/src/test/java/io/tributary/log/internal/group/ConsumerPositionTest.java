package io.tributary.log.internal.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.TributaryException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.ConsumerConfig.AutoOffsetReset;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsumerPositionTest extends GroupTestSupport {

    private static final TopicPartition P0 = new TopicPartition("orders", 0);
    private static final TopicPartition P1 = new TopicPartition("orders", 1);

    private LogConsumer assigned(ConsumerConfig config, TopicPartition... partitions) {
        LogConsumer c = consumer(config);
        c.assign(List.of(partitions));
        return c;
    }

    @Test
    void seekOutsideStartToEndIsRejectedWithTheValidRange() {
        reads.createTopic("orders", 1);
        fill("orders", 1, 5);
        reads.deleteBefore(P0, 2);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);

        assertThatThrownBy(() -> c.seek(P0, 6)).isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.OFFSET_OUT_OF_RANGE))
                .hasMessageContaining("orders-0").hasMessageContaining("[2, 5]");
        assertThatThrownBy(() -> c.seek(P0, 1)).hasMessageContaining("[2, 5]");

        c.seek(P0, 5);
        assertThat(c.position(P0)).isEqualTo(5);
        c.seek(P0, 3);
        assertThat(c.poll(Duration.ofMillis(10))).extracting(LogRecord::offset).containsExactly(3L, 4L);
    }

    @Test
    void seekToBeginningEndAndTimestamp() {
        reads.createTopic("orders", 1);
        for (int i = 0; i < 10; i++) {
            reads.append(P0, "v" + i, 1000 + i * 10);
        }
        reads.deleteBefore(P0, 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);

        c.seekToEnd(List.of(P0));
        assertThat(c.position(P0)).isEqualTo(10);
        c.seekToBeginning(List.of(P0));
        assertThat(c.position(P0)).isEqualTo(1);
        c.seekToTimestamp(List.of(P0), 1045);
        assertThat(c.position(P0)).isEqualTo(5);
        c.seekToTimestamp(List.of(P0), 5000);
        assertThat(c.position(P0)).as("no record that late: the end").isEqualTo(10);
    }

    @Test
    void operationsOnPartitionsNotAssignedFailWithNotAssigned() {
        reads.createTopic("orders", 2);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        for (Runnable op : List.<Runnable>of(() -> c.seek(P1, 0), () -> c.position(P1), () -> c.pause(List.of(P1)),
                () -> c.seekToEnd(List.of(P1)))) {
            assertThatThrownBy(op::run)
                    .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NOT_ASSIGNED))
                    .hasMessageContaining("orders-1");
        }
        LogConsumer idle = consumer(ConsumerConfig.defaults());
        assertThatThrownBy(() -> idle.poll(Duration.ZERO)).hasMessageContaining("subscribe");
    }

    @Test
    void assigningAnUnknownTopicOrPartitionFails() {
        reads.createTopic("orders", 2);
        LogConsumer c = consumer(ConsumerConfig.defaults());
        assertThatThrownBy(() -> c.assign(List.of(new TopicPartition("nope", 0))))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.TOPIC_NOT_FOUND));
        assertThatThrownBy(() -> c.assign(List.of(new TopicPartition("orders", 2))))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.PARTITION_OUT_OF_RANGE))
                .hasMessageContaining("2 partition(s)");
    }

    @Test
    void pausedPartitionsReturnNothingUntilResumedAndKeepTheirPosition() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 3);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0, P1);
        c.pause(List.of(P0));
        assertThat(c.paused()).containsExactly(P0);

        assertThat(c.poll(Duration.ofMillis(10))).extracting(LogRecord::topicPartition).containsOnly(P1);
        assertThat(c.poll(Duration.ofMillis(10))).isEmpty();

        c.resume(List.of(P0));
        assertThat(c.paused()).isEmpty();
        assertThat(c.poll(Duration.ofMillis(10))).extracting(LogRecord::offset).containsExactly(0L, 1L, 2L);
    }

    @Test
    void pollReturnsAtMostMaxPollRecordsAndSpreadsOverPartitions() {
        reads.createTopic("orders", 2);
        fill("orders", 2, 100);
        LogConsumer c = assigned(ConsumerConfig.defaults().withMaxPollRecords(30), P0, P1);
        List<LogRecord> all = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            List<LogRecord> batch = c.poll(Duration.ofMillis(10));
            assertThat(batch).hasSizeLessThanOrEqualTo(30);
            all.addAll(batch);
        }
        assertThat(all).extracting(LogRecord::topicPartition).contains(P0, P1);
        all.addAll(pollUntil(() -> c.position(P0) == 100 && c.position(P1) == 100, c));
        assertThat(all.stream().filter(r -> r.topicPartition().equals(P0)).map(LogRecord::offset).toList())
                .isEqualTo(java.util.stream.LongStream.range(0, 100).boxed().toList());
    }

    @Test
    void pollStaysWithinMaxPollBytesButAlwaysReturnsOneRecord() {
        reads.createTopic("orders", 2);
        reads.append(P0, "x".repeat(50)); // 100 bytes: key and value
        reads.append(P0, "y".repeat(50));
        reads.append(P1, "z".repeat(50));
        reads.append(P1, "w".repeat(500)); // 1000 bytes, over the limit on its own
        LogConsumer c = assigned(ConsumerConfig.defaults().withMaxPollBytes(250), P0, P1);

        List<LogRecord> got = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < 6 && got.size() < 4; i++) {
            List<LogRecord> batch = c.poll(Duration.ofMillis(10));
            int bytes = batch.stream().mapToInt(LogRecord::sizeInBytes).sum();
            sizes.add(bytes);
            if (batch.size() > 1) {
                assertThat(bytes).isLessThanOrEqualTo(250);
            }
            got.addAll(batch);
        }
        assertThat(got).hasSize(4);
        assertThat(sizes).contains(1000);
    }

    @Test
    void longPollReturnsAsSoonAsARecordIsAppended() throws Exception {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        assertThat(c.poll(Duration.ZERO)).isEmpty();
        CompletableFuture<Void> producer = CompletableFuture.runAsync(() -> {
            sleep(200);
            reads.append(P0, "late");
        });
        long start = System.nanoTime();
        List<LogRecord> got = c.poll(Duration.ofSeconds(30));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        producer.get();
        assertThat(got).hasSize(1);
        assertThat(ms).isBetween(150L, 5000L);
    }

    @Test
    void pollWaitsForItsTimeoutWhenNothingArrives() {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        long start = System.nanoTime();
        assertThat(c.poll(Duration.ofMillis(200))).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(190L, 5000L);
    }

    @Test
    void wakeupFromAnotherThreadEndsABlockedPollAtOnceAndLeavesNoInterruptBehind() throws Exception {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        CompletableFuture<Void> waker = CompletableFuture.runAsync(() -> {
            sleep(200);
            c.wakeup();
        });
        long start = System.nanoTime();
        assertThat(c.poll(Duration.ofSeconds(30))).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5000);
        waker.get();
        assertThat(Thread.currentThread().isInterrupted()).isFalse();

        reads.append(P0, "after");
        assertThat(c.poll(Duration.ofSeconds(5))).hasSize(1);
    }

    @Test
    void wakeupBeforePollMakesTheNextPollReturnAtOnce() {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        c.wakeup();
        long start = System.nanoTime();
        assertThat(c.poll(Duration.ofSeconds(30))).isEmpty();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(1000);
    }

    @Test
    void pollOnAnInterruptedThreadReturnsAndKeepsTheInterrupt() {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        Thread.currentThread().interrupt();
        try {
            assertThat(c.poll(Duration.ofSeconds(30))).isEmpty();
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void withoutACommittedOffsetEarliestStartsAtTheStartAndLatestAtTheEnd() {
        reads.createTopic("orders", 1);
        fill("orders", 1, 5);
        reads.deleteBefore(P0, 2);
        assertThat(assigned(ConsumerConfig.forGroup("g").withAutoOffsetReset(AutoOffsetReset.EARLIEST), P0)
                .position(P0)).isEqualTo(2);
        assertThat(assigned(ConsumerConfig.forGroup("g").withAutoOffsetReset(AutoOffsetReset.LATEST), P0)
                .position(P0)).isEqualTo(5);
        LogConsumer none = assigned(ConsumerConfig.forGroup("g").withAutoOffsetReset(AutoOffsetReset.NONE), P0);
        assertThatThrownBy(() -> none.poll(Duration.ZERO)).isInstanceOf(NotFoundException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NO_COMMITTED_OFFSET))
                .hasMessageContaining("orders-0").hasMessageContaining("'g'");
    }

    @Test
    void committedOffsetRemovedByRetentionFallsBackToAutoOffsetReset() {
        reads.createTopic("orders", 1);
        fill("orders", 1, 10);
        LogConsumer first = assigned(ConsumerConfig.forGroup("g"), P0);
        first.commitSync(Map.of(P0, 3L));
        first.close();
        reads.deleteBefore(P0, 6);

        LogConsumer none = assigned(ConsumerConfig.forGroup("g").withAutoOffsetReset(AutoOffsetReset.NONE), P0);
        assertThatThrownBy(() -> none.position(P0))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.NO_COMMITTED_OFFSET))
                .hasMessageContaining("committed offset 3").hasMessageContaining("[6, 10]");
        LogConsumer earliest = assigned(ConsumerConfig.forGroup("g"), P0);
        assertThat(earliest.poll(Duration.ofMillis(10))).extracting(LogRecord::offset).startsWith(6L);
    }

    @Test
    void positionOverrunByRetentionWhileConsumingMovesToTheStartWithEarliest() {
        reads.createTopic("orders", 1);
        fill("orders", 1, 10);
        LogConsumer c = assigned(ConsumerConfig.defaults().withMaxPollRecords(2), P0);
        assertThat(c.poll(Duration.ZERO)).extracting(LogRecord::offset).containsExactly(0L, 1L);
        reads.deleteBefore(P0, 7);
        assertThat(c.poll(Duration.ZERO)).extracting(LogRecord::offset).containsExactly(7L, 8L);
    }

    @Test
    void beginningAndEndOffsetsAndPartitionCount() {
        reads.createTopic("orders", 2);
        fill("orders", 1, 4);
        reads.deleteBefore(P0, 1);
        LogConsumer c = consumer(ConsumerConfig.defaults());
        assertThat(c.beginningOffsets(List.of(P0, P1))).isEqualTo(Map.of(P0, 1L, P1, 0L));
        assertThat(c.endOffsets(List.of(P0, P1))).isEqualTo(Map.of(P0, 4L, P1, 0L));
        assertThat(c.partitionCount("orders")).isEqualTo(2);
        assertThatThrownBy(() -> c.partitionCount("nope"))
                .satisfies(e -> assertThat(((TributaryException) e).code()).isEqualTo(LogErrors.TOPIC_NOT_FOUND));
        assertThat(c.groupMetadata()).isEmpty();
    }

    @Test
    void readCommittedIsRefusedBecauseTheEmbeddedEngineHasNoTransactions() {
        assertThatThrownBy(() -> consumer(ConsumerConfig.defaults().withReadCommitted(true)))
                .isInstanceOf(InvalidRequestException.class)
                .satisfies(e -> assertThat(((TributaryException) e).code())
                        .isEqualTo(io.tributary.core.ErrorCode.CAPABILITY_UNSUPPORTED))
                .hasMessageContaining("TRANSACTIONS");
    }

    @Test
    void closedConsumerRefusesFurtherUse() {
        reads.createTopic("orders", 1);
        LogConsumer c = assigned(ConsumerConfig.defaults(), P0);
        c.close();
        c.close();
        assertThatThrownBy(() -> c.poll(Duration.ZERO)).hasMessageContaining("closed");
        assertThatThrownBy(() -> c.assignment()).hasMessageContaining("closed");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
