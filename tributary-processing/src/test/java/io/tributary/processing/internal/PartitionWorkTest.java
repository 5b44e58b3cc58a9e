package io.tributary.processing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-key scheduling of one partition, driven directly (the processor tests drive it through the runtime). */
class PartitionWorkTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);

    private final PartitionWork work = new PartitionWork(TP, 100);

    @Test
    void keysWithEqualBytesInDistinctArraysShareOneQueueAndOneBusyState() {
        work.add(record(0, "a"), 1);
        work.add(record(1, "a"), 2);

        List<PendingEvent> first = work.takeBatch(10, Long.MAX_VALUE, true, k -> false);
        assertThat(offsets(first)).containsExactly(0L, 1L);

        work.add(record(2, "a"), 3); // its key is busy: it must wait for the batch above
        assertThat(work.readyKeys()).isZero();
        assertThat(work.takeBatch(10, Long.MAX_VALUE, true, k -> false)).isEmpty();

        work.complete(task(first));
        assertThat(work.readyKeys()).isEqualTo(1);
        assertThat(offsets(work.takeBatch(10, Long.MAX_VALUE, true, k -> false))).containsExactly(2L);
    }

    @Test
    void aBatchOverSeveralKeysIsInOffsetOrderAndCutsOnlyItsLastKeyShort() {
        String[] keys = {"a", "b", "a", "c", "b", "c"};
        for (int i = 0; i < keys.length; i++) {
            work.add(record(i, keys[i]), i);
        }

        List<PendingEvent> batch = work.takeBatch(5, Long.MAX_VALUE, false, k -> false);

        // Whole queues of a (0, 2) and b (1, 4), then c's first event: sorted by offset, c's second event stays.
        assertThat(offsets(batch)).containsExactly(0L, 1L, 2L, 3L, 4L);
        assertThat(work.inFlightEvents()).isEqualTo(5);
        assertThat(work.readyKeys()).isZero(); // c is busy although one of its events still waits
        work.complete(task(batch));
        assertThat(offsets(work.takeBatch(5, Long.MAX_VALUE, true, k -> false))).containsExactly(5L);
    }

    @Test
    void batchesAreInOffsetOrderWhetherTheirOffsetsAreDenseOrFarApart() {
        java.util.Random random = new java.util.Random(42);
        for (long gap : new long[] {1, 3, 1_000_000}) {
            List<PendingEvent> events = new java.util.ArrayList<>();
            for (int i = 0; i < 200; i++) {
                events.add(new PendingEvent(record(1_000 + i * gap, "k" + (i % 7)), "k" + (i % 7), 0));
            }
            java.util.Collections.shuffle(events, random);
            assertThat(offsets(PartitionWork.inOffsetOrder(events))).as("gap %d", gap)
                    .isSorted().hasSize(200).doesNotHaveDuplicates();
        }
    }

    @Test
    void aBatchThatIsNotFullIsLeftInPlaceUntilFlushed() {
        work.add(record(0, "a"), 10);
        work.add(record(1, "b"), 20);

        assertThat(work.takeBatch(5, Long.MAX_VALUE, false, k -> false)).isEmpty();
        assertThat(work.readyKeys()).isEqualTo(2);
        assertThat(work.oldestReadyArrival()).hasValue(10);

        assertThat(offsets(work.takeBatch(5, Long.MAX_VALUE, true, k -> false))).containsExactly(0L, 1L);
        assertThat(work.oldestReadyArrival()).isEmpty();
    }

    @Test
    void completingReleasesTheDonePrefixAndMovesTheCommitPosition() {
        work.add(record(0, "a"), 1);
        work.add(record(1, "b"), 2);
        List<PendingEvent> a = work.takeBatch(1, Long.MAX_VALUE, true, k -> false);
        List<PendingEvent> b = work.takeBatch(1, Long.MAX_VALUE, true, k -> false);

        work.complete(task(b));
        assertThat(work.uncommittedPosition()).isEmpty(); // offset 0 still runs, so nothing may be committed
        work.complete(task(a));
        assertThat(work.uncommittedPosition()).hasValue(2);
        assertThat(work.held()).isZero();
    }

    @Test
    void eventsOfAParkedKeyAreLeftForTakeParkedWithTheirKeyBusy() {
        work.add(record(0, "a"), 1);
        work.add(record(1, "b"), 2);
        work.add(record(2, "a"), 3);
        Object parkedKey = PartitionWork.keyOf(record(99, "a"));

        assertThat(offsets(work.takeBatch(10, Long.MAX_VALUE, true, parkedKey::equals))).containsExactly(1L);
        List<List<PendingEvent>> parked = work.takeParked(parkedKey::equals, 10);
        assertThat(parked).hasSize(1);
        assertThat(offsets(parked.getFirst())).containsExactly(0L, 2L);
        assertThat(work.readyKeys()).isZero();
    }

    @Test
    void takeParkedTakesEveryParkedKeyInOnePassUpToTheLimitInReadyOrder() {
        work.add(record(0, "a"), 1);
        work.add(record(1, "b"), 2);
        work.add(record(2, "c"), 3);
        work.add(record(3, "a"), 4);
        work.add(record(4, "d"), 5);
        java.util.Set<Object> parkedKeys = java.util.Set.of(PartitionWork.keyOf(record(99, "a")),
                PartitionWork.keyOf(record(99, "c")), PartitionWork.keyOf(record(99, "d")));

        List<List<PendingEvent>> first = work.takeParked(parkedKeys::contains, 2);
        assertThat(first).hasSize(2);
        assertThat(offsets(first.get(0))).containsExactly(0L, 3L);
        assertThat(offsets(first.get(1))).containsExactly(2L);
        List<List<PendingEvent>> rest = work.takeParked(parkedKeys::contains, 2);
        assertThat(rest).hasSize(1);
        assertThat(offsets(rest.getFirst())).containsExactly(4L);
        assertThat(work.takeParked(parkedKeys::contains, 2)).isEmpty();
        assertThat(work.readyKeys()).isEqualTo(1);
        assertThat(work.inFlightEvents()).isEqualTo(4);
    }

    private HandlerTask task(List<PendingEvent> events) {
        HandlerTask t = new HandlerTask(work, events);
        work.running.add(t);
        return t;
    }

    private static LogRecord record(long offset, String key) {
        // A fresh array per record, as decoding produces: keys must match by content, not identity.
        return new LogRecord(TP.topic(), TP.partition(), offset, offset, key.getBytes(StandardCharsets.UTF_8),
                new byte[] {1}, Headers.empty());
    }

    private static List<Long> offsets(List<PendingEvent> events) {
        return events.stream().map(e -> e.record.offset()).toList();
    }
}
