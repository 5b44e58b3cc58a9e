package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.committed;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.TopicPartition;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interval commits run off the poll thread: a slow offset sync (an fsync on the embedded engine, tens of ms on a busy
 * disk) must not stall dispatch, at most one commit is in flight, and revoke/close still end with a synchronous
 * commit of what completed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CommitOffPollThreadTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final TopicPartition P0 = new TopicPartition("orders", 0);

    @TempDir
    Path dir;

    private static List<String> keys(int n) {
        return IntStream.range(0, n).mapToObj(i -> "k" + i).toList();
    }

    @Test
    void eventsAreHandledWhileAnIntervalCommitWaitsForItsSyncAndOnlyOneCommitIsInFlight() throws Exception {
        try (SlowCommitLog log = new SlowCommitLog(Fixtures.openLog(dir))) {
            createTopic(log, "orders", 1);
            produce(log, "orders", keys(10), 1);
            AtomicInteger handled = new AtomicInteger();
            try (Processor p = Processor.start(log, config("billing", "orders"), e -> handled.incrementAndGet())) {
                await("the first 10 events handled", WAIT, () -> handled.get() == 10);
                await("an interval commit started", WAIT, () -> log.asyncCommits() == 1);

                produce(log, "orders", keys(10), 1, 3);
                await("later events handled while the commit's sync is held", WAIT, () -> handled.get() == 30);
                Thread.sleep(200); // ten commit intervals pass
                assertThat(log.asyncCommits()).as("one commit in flight at a time").isEqualTo(1);
                assertThat(p.committedOffsets()).as("nothing reported committed before its sync").isEmpty();

                log.openGate();
                await("the latest position committed by the next interval commit", WAIT,
                        () -> p.committedOffsets().getOrDefault(P0, -1L) == 30);
                assertThat(committed(log, "billing", P0)).isEqualTo(30);
            }
        }
    }

    @Test
    void closeWaitsForTheInFlightCommitThenCommitsWhatCompletedSynchronously() throws Exception {
        try (SlowCommitLog log = new SlowCommitLog(Fixtures.openLog(dir))) {
            createTopic(log, "orders", 1);
            produce(log, "orders", keys(10), 1);
            AtomicInteger handled = new AtomicInteger();
            Processor p = Processor.start(log, config("billing", "orders"), e -> handled.incrementAndGet());
            await("the first 10 events handled", WAIT, () -> handled.get() == 10);
            await("an interval commit started", WAIT, () -> log.asyncCommits() == 1);
            produce(log, "orders", keys(10), 1, 2);
            await("later events handled", WAIT, () -> handled.get() == 20);

            Thread closer = Thread.ofPlatform().start(p::close);
            Thread.sleep(100);
            log.openGate();
            closer.join(WAIT);

            assertThat(p.state()).isEqualTo(ProcessorState.STOPPED);
            assertThat(committed(log, "billing", P0)).isEqualTo(20);
            assertThat(p.committedOffsets()).isEqualTo(Map.of(P0, 20L));
            List<String> order = log.events;
            assertThat(order.getLast()).as("the final commit is synchronous").isEqualTo("sync " + Map.of(P0, 20L));
            assertThat(order.indexOf("async done")).as("and comes after the in-flight one was acknowledged")
                    .isBetween(0, order.size() - 2);
        }
    }
}
