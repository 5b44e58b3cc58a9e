package io.tributary.processing.internal;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Long-lived virtual threads that run handler tasks, each reused from task to task: starting a new virtual thread per
 * handler call cost the poll loop about 5% of its time in per-event mode. A worker that finishes a task returns
 * itself to the idle stack before the task's outcome is published, so the poll loop usually finds it there for the
 * next task; at most {@value #MAX_IDLE} idle workers are kept, the rest end.
 *
 * <p><b>Interrupts</b> reach only the task they were meant for: a worker clears its interrupt flag between tasks,
 * and {@link HandlerTask#interrupt()} interrupts the worker only while it still runs that task (checked under the
 * worker's lock), or marks the task so that it starts interrupted.
 *
 * <p><b>Thread-safety:</b> {@link #start} and {@link #close} are called by the poll loop thread;
 * {@link Worker#interrupt} from any thread.
 */
final class HandlerWorkers implements AutoCloseable {

    static final int MAX_IDLE = 256;

    private final String name;
    private final Consumer<HandlerTask> body;
    private final ConcurrentLinkedDeque<Worker> idle = new ConcurrentLinkedDeque<>();
    private final AtomicInteger idleCount = new AtomicInteger();
    private final AtomicInteger started = new AtomicInteger();
    private volatile boolean closed;

    /**
     * @param name thread name of the workers
     * @param body runs one task to its end, without publishing its outcome
     * @param publish publishes a task's outcome (called after the worker is idle again)
     */
    HandlerWorkers(String name, Consumer<HandlerTask> body, Consumer<HandlerTask> publish) {
        this.name = name;
        this.body = t -> {
            try {
                body.accept(t);
            } finally {
                java.util.Objects.requireNonNull(t.worker).finished(t);
                publish.accept(t);
            }
        };
    }

    /** Runs the task on an idle worker, or on a new one if none is idle. */
    void start(HandlerTask task) {
        Worker w = idle.pollFirst();
        if (w != null) {
            idleCount.decrementAndGet();
            w.hand(task);
            return;
        }
        w = new Worker();
        started.incrementAndGet();
        w.next = task;
        task.worker = w;
        w.thread = Thread.ofVirtual().name(name).unstarted(w);
        w.thread.start();
    }

    /** Worker threads started so far (for tests: reuse keeps this far below the number of tasks). */
    int workersStarted() {
        return started.get();
    }

    /** Lets idle workers end; busy ones end after their task. */
    @Override
    public void close() {
        closed = true;
        for (Worker w : idle) {
            LockSupport.unpark(w.thread);
        }
    }

    /** One reusable thread; runs the task handed to it, then offers itself for the next one. */
    final class Worker implements Runnable {
        private final ReentrantLock lock = new ReentrantLock();
        /** The task running now; guarded by {@code lock}. */
        private @Nullable HandlerTask current;
        /** The task handed over and not yet picked up. */
        private volatile @Nullable HandlerTask next;
        @Nullable Thread thread;

        private void hand(HandlerTask task) {
            task.worker = this;
            next = task;
            LockSupport.unpark(thread);
        }

        /** Interrupts the worker if it still runs {@code task} (the caller marked the task interrupted already). */
        void interrupt(HandlerTask task) {
            lock.lock();
            try {
                if (current == task && thread != null) {
                    thread.interrupt();
                }
            } finally {
                lock.unlock();
            }
        }

        private void finished(HandlerTask task) {
            lock.lock();
            try {
                current = null;
                Thread.interrupted(); // an interrupt meant for the finished task must not reach the next one
            } finally {
                lock.unlock();
            }
            if (!closed && idleCount.get() < MAX_IDLE) {
                idleCount.incrementAndGet();
                idle.addFirst(this);
            } else {
                retired = true;
            }
        }

        private boolean retired;

        @Override
        public void run() {
            while (true) {
                HandlerTask t = next;
                if (t == null) {
                    if (retired || closed) {
                        // After close the poll loop hands out nothing more (close runs on its thread after its last
                        // start), so an idle worker with no task handed over is done.
                        if (idle.removeFirstOccurrence(this)) {
                            idleCount.decrementAndGet();
                        }
                        return;
                    }
                    LockSupport.park(this);
                    continue;
                }
                next = null;
                lock.lock();
                try {
                    Thread.interrupted();
                    current = t;
                    if (t.interruptRequested) {
                        Thread.currentThread().interrupt();
                    }
                } finally {
                    lock.unlock();
                }
                body.accept(t);
            }
        }
    }
}
