package io.tributary.processing.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.log.TopicPartition;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HandlerWorkersTest {

    private final PartitionWork work = new PartitionWork(new TopicPartition("orders", 0), 10);
    private final LinkedBlockingQueue<HandlerTask> done = new LinkedBlockingQueue<>();
    private final Map<HandlerTask, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Map<HandlerTask, Boolean> sawInterrupt = new ConcurrentHashMap<>();
    private final Map<HandlerTask, Thread> ranOn = new ConcurrentHashMap<>();

    private final HandlerWorkers workers = new HandlerWorkers("test-handler", t -> {
        ranOn.put(t, Thread.currentThread());
        CountDownLatch gate = gates.get(t);
        boolean interrupted = false;
        try {
            if (gate != null) {
                gate.await();
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        sawInterrupt.put(t, interrupted || Thread.currentThread().isInterrupted());
    }, done::add);

    private HandlerTask task() {
        return new HandlerTask(work, List.of());
    }

    @Test
    void tasksRunOneAfterAnotherReuseOneWorkerThread() throws Exception {
        for (int i = 0; i < 100; i++) {
            HandlerTask t = task();
            workers.start(t);
            assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(t);
        }
        assertThat(workers.workersStarted()).isEqualTo(1);
        assertThat(ranOn.values().stream().distinct().count()).isEqualTo(1);
        assertThat(ranOn.values().iterator().next().isVirtual()).isTrue();
        workers.close();
    }

    @Test
    void concurrentTasksGetTheirOwnWorkers() throws Exception {
        HandlerTask a = task();
        HandlerTask b = task();
        CountDownLatch hold = new CountDownLatch(1);
        gates.put(a, hold);
        gates.put(b, hold);
        workers.start(a);
        workers.start(b);
        hold.countDown();
        assertThat(List.of(done.poll(10, TimeUnit.SECONDS), done.poll(10, TimeUnit.SECONDS))).containsExactlyInAnyOrder(a, b);
        assertThat(ranOn.get(a)).isNotSameAs(ranOn.get(b));
        workers.close();
    }

    @Test
    void anInterruptMeantForAFinishedTaskDoesNotReachTheNextTaskOnItsWorker() throws Exception {
        HandlerTask first = task();
        workers.start(first);
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(first);

        HandlerTask second = task();
        CountDownLatch hold = new CountDownLatch(1);
        gates.put(second, hold);
        workers.start(second);
        first.interrupt(); // as on revoke, when the poll loop has not yet drained first's completion
        Thread.sleep(50);
        hold.countDown();
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(second);

        assertThat(ranOn.get(second)).as("reused").isSameAs(ranOn.get(first));
        assertThat(sawInterrupt.get(second)).isFalse();
        workers.close();
    }

    @Test
    void interruptingARunningTaskInterruptsItsHandlerAndTheWorkerIsCleanForTheNextTask() throws Exception {
        HandlerTask stuck = task();
        gates.put(stuck, new CountDownLatch(1));
        workers.start(stuck);
        while (!ranOn.containsKey(stuck)) {
            Thread.sleep(1);
        }
        stuck.interrupt();
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(stuck);
        assertThat(sawInterrupt.get(stuck)).isTrue();

        HandlerTask next = task();
        workers.start(next);
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(next);
        assertThat(ranOn.get(next)).isSameAs(ranOn.get(stuck));
        assertThat(sawInterrupt.get(next)).isFalse();
        workers.close();
    }

    @Test
    void aTaskInterruptedBeforeItsWorkerPickedItUpStartsInterrupted() throws Exception {
        HandlerTask t = task();
        t.interrupt();
        gates.put(t, new CountDownLatch(1));
        workers.start(t);
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(t);
        assertThat(sawInterrupt.get(t)).isTrue();
        workers.close();
    }

    @Test
    void closeEndsIdleWorkers() throws Exception {
        HandlerTask t = task();
        workers.start(t);
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(t);
        Thread worker = ranOn.get(t);
        workers.close();
        assertThat(worker.join(java.time.Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void platformThreadsQueueTasksBeyondTheBoundAndRunThemInStartOrder() throws Exception {
        List<HandlerTask> order = new java.util.concurrent.CopyOnWriteArrayList<>();
        HandlerWorkers one = new HandlerWorkers("test-platform", io.tributary.processing.HandlerThreads.platform(1),
                t -> {
                    ranOn.put(t, Thread.currentThread());
                    order.add(t);
                    CountDownLatch gate = gates.get(t);
                    try {
                        if (gate != null) {
                            gate.await();
                        }
                    } catch (InterruptedException e) {
                        sawInterrupt.put(t, true);
                    }
                }, done::add);
        HandlerTask a = task();
        HandlerTask b = task();
        HandlerTask c = task();
        CountDownLatch hold = new CountDownLatch(1);
        gates.put(a, hold);
        one.start(a);
        one.start(b);
        one.start(c);
        assertThat(one.queuedTasks()).as("b and c wait for the one thread").isEqualTo(2);
        hold.countDown();
        assertThat(List.of(done.poll(10, TimeUnit.SECONDS), done.poll(10, TimeUnit.SECONDS),
                done.poll(10, TimeUnit.SECONDS))).containsExactly(a, b, c);
        assertThat(order).containsExactly(a, b, c);
        assertThat(one.workersStarted()).isEqualTo(1);
        assertThat(ranOn.get(a)).isSameAs(ranOn.get(c));
        assertThat(ranOn.get(a).isVirtual()).isFalse();
        assertThat(one.queuedTasks()).isZero();
        one.close();
    }

    @Test
    void aQueuedTaskInterruptedBeforeAPlatformThreadTakesItStartsInterrupted() throws Exception {
        HandlerWorkers one = new HandlerWorkers("test-platform", io.tributary.processing.HandlerThreads.platform(1),
                t -> {
                    CountDownLatch gate = gates.get(t);
                    boolean interrupted = false;
                    try {
                        if (gate != null) {
                            gate.await();
                        }
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                    sawInterrupt.put(t, interrupted || Thread.currentThread().isInterrupted());
                }, done::add);
        HandlerTask first = task();
        HandlerTask queued = task();
        CountDownLatch hold = new CountDownLatch(1);
        gates.put(first, hold);
        one.start(first);
        one.start(queued);
        queued.interrupt(); // as on revoke: the task has no thread yet
        hold.countDown();
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(first);
        assertThat(done.poll(10, TimeUnit.SECONDS)).isSameAs(queued);
        assertThat(sawInterrupt.get(first)).isFalse();
        assertThat(sawInterrupt.get(queued)).isTrue();
        one.close();
    }
}
