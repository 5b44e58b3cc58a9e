package io.tributary.processing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.core.Headers;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.LogRecord;
import io.tributary.log.NewTopic;
import io.tributary.log.TopicPartition;
import io.tributary.processing.DeadLetter;
import io.tributary.processing.DeadLetterAction;
import io.tributary.processing.DeadLetterPolicy;
import io.tributary.processing.DeadLetterSelection;
import io.tributary.processing.DeadLetters;
import io.tributary.processing.ProcessorConfig;
import io.tributary.processing.RetryPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the dead-letter desk looks at a partition's keys again after finding nothing to start, driven directly on the
 * real embedded log (the processor tests drive it through the runtime, where a needless look is invisible).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeadLetterDeskTest {

    private static final TopicPartition TP = new TopicPartition("orders", 0);
    private static final ProcessorConfig CONFIG = ProcessorConfig.of("billing", "orders")
            .withRetry(RetryPolicy.noRetries())
            .withDeadLetter(DeadLetterPolicy.sequenced().withActionCheckInterval(Duration.ofMillis(1)));

    @TempDir
    Path dir;

    private EventLog log;
    private DeadLetterDesk desk;
    private final PartitionWork work = new PartitionWork(TP, 100);

    @BeforeEach
    void start() {
        log = EventLogs.open(Map.of("tributary.log.backend", "embedded",
                "tributary.log.embedded.data-dir", dir.toString()));
        log.admin().createTopic(NewTopic.of(TP.topic(), 1));
        desk = DeadLetterDesk.start(log, CONFIG);
        desk.assigned(List.of(TP));
    }

    @AfterEach
    void stop() {
        try {
            desk.close();
        } finally {
            log.close();
        }
    }

    @Test
    void aNewDeadEntryNoActionAppliesToLeavesAPartitionFoundIdleIdle() {
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty();
        assertThat(desk.skipsLook(TP)).isTrue();

        deadLetter(record(0, "a"));
        deadLetter(record(1, "b"));

        assertThat(desk.depth()).isEqualTo(2);
        assertThat(desk.skipsLook(TP)).isTrue();
    }

    @Test
    void aParkedEntryBehindADeadHeadWaitsAndItsHeadsSkipWakesThePartitionToReleaseIt() {
        deadLetter(record(0, "a"));
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty();
        HandlerTask park = park(record(1, "a"));
        desk.completed(park);
        assertThat(desk.skipsLook(TP)).isTrue(); // the parked entry waits behind the dead one

        DeadLetters.of(log, CONFIG).skip(DeadLetterSelection.entry(DeadLetter.idOf(TP, 0)));
        HandlerTask skip = nextTask();
        assertThat(skip.letter.original().offset()).isZero();
        assertThat(skip.action).isEqualTo(DeadLetterAction.Kind.SKIP);
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty(); // the key is busy with the skip
        assertThat(desk.skipsLook(TP)).isTrue();

        desk.writeClosed(skip, "skipped");
        desk.completed(skip);

        assertThat(desk.skipsLook(TP)).isFalse();
        HandlerTask release = nextTask();
        assertThat(release.letter.original().offset()).isEqualTo(1);
        assertThat(release.letter.status()).isEqualTo(DeadLetter.Status.PARKED);
    }

    @Test
    void aParkedEntryWrittenAfterItsDeadHeadClosedWakesThePartitionAsTheKeysNewHead() {
        deadLetter(record(0, "a"));
        // The follower is parked behind the dead entry, but its entry is written after the skip closed that entry.
        HandlerTask park = HandlerTask.park(work, List.of(pending(record(1, "a"))),
                List.of(desk.parkBehind(TP, pending(record(1, "a")))));
        DeadLetters.of(log, CONFIG).skip(DeadLetterSelection.entry(DeadLetter.idOf(TP, 0)));
        HandlerTask skip = nextTask();
        desk.writeClosed(skip, "skipped");
        desk.completed(skip);
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty();
        assertThat(desk.skipsLook(TP)).isTrue();

        desk.writeParked(park);
        desk.completed(park);

        assertThat(desk.skipsLook(TP)).isFalse();
        assertThat(nextTask().letter.original().offset()).isEqualTo(1);
    }

    @Test
    void aDeadEntryAnActionReadBeforeItWasIndexedAppliesToWakesAnIdlePartition() {
        // The entry is in the dead-letter topic, and the operator's redrive of it is read, before the poll loop
        // applies the completion of the task that wrote it.
        HandlerTask t = new HandlerTask(work, List.of(pending(record(0, "a"))));
        t.failure = new IllegalStateException("poison");
        t.attempts = 1;
        desk.writeDead(t);
        DeadLetters.of(log, CONFIG).redrive(DeadLetterSelection.entry(DeadLetter.idOf(TP, 0)));
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (desk.skipsLook(TP)) { // until the action is read, which makes every partition look again
            assertThat(System.nanoTime()).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
            desk.checkActions(System.nanoTime());
        }
        assertThat(desk.nextEntryTasks(work, 10)).isEmpty(); // the entry is not indexed yet
        assertThat(desk.skipsLook(TP)).isTrue();

        desk.completed(t);

        assertThat(desk.skipsLook(TP)).isFalse();
        HandlerTask redrive = nextTask();
        assertThat(redrive.letter.original().offset()).isZero();
        assertThat(redrive.action).isEqualTo(DeadLetterAction.Kind.REDRIVE);
    }

    /** A handle task that failed on {@code r} and dead-lettered it, completed on the poll thread. */
    private void deadLetter(LogRecord r) {
        HandlerTask t = new HandlerTask(work, List.of(pending(r)));
        t.failure = new IllegalStateException("poison " + r.offset());
        t.attempts = 1;
        desk.writeDead(t);
        desk.completed(t);
    }

    private HandlerTask park(LogRecord r) {
        PendingEvent e = pending(r);
        HandlerTask t = HandlerTask.park(work, List.of(e), List.of(desk.parkBehind(TP, e)));
        desk.writeParked(t);
        return t;
    }

    /** The entry tasks of the next dispatch round that starts any, reading actions as the poll loop does. */
    private List<HandlerTask> nextTasks() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            desk.checkActions(System.nanoTime());
            List<HandlerTask> tasks = desk.nextEntryTasks(work, 10);
            if (!tasks.isEmpty()) {
                return tasks;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
        }
        throw new AssertionError("no entry task started within 30 s");
    }

    private HandlerTask nextTask() {
        List<HandlerTask> tasks = nextTasks();
        assertThat(tasks).hasSize(1);
        return tasks.getFirst();
    }

    private static PendingEvent pending(LogRecord r) {
        return new PendingEvent(r, PartitionWork.keyOf(r), 0);
    }

    private static LogRecord record(long offset, String key) {
        return new LogRecord(TP.topic(), TP.partition(), offset, offset, key.getBytes(StandardCharsets.UTF_8),
                new byte[] {1}, Headers.empty());
    }
}
