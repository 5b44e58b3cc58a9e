package io.tributary.processing.internal;

import io.tributary.processing.HandlerThreads;
import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Long-lived threads that run handler tasks, each reused from task to task: starting a new virtual thread per
 * handler call cost the poll loop about 5% of its time in per-event mode. A worker that finishes a task returns
 * itself to the idle stack before the task's outcome is published, so the poll loop usually finds it there for the
 * next task.
 *
 * <p><b>Threads</b> ({@link HandlerThreads}): virtual, one per task in flight, with at most {@value #MAX_IDLE} idle
 * ones kept (the rest end); or platform, at most {@code threads} of them, started as needed and kept until close,
 * with tasks beyond that queued in start order and taken by the next worker that finishes (before it would go idle,
 * under the pool's lock, so a task never waits while a worker idles).
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
    /** Most platform threads, or 0 for virtual threads. */
    private final int maxThreads;
    /** Platform threads only: guards {@link #queued}, {@link #live} and moves between busy and idle. */
    private final ReentrantLock poolLock = new ReentrantLock();
    /** Platform threads only: tasks started while every thread was busy, oldest first. */
    private final ArrayDeque<HandlerTask> queued = new ArrayDeque<>();
    /** Platform threads only: threads started and not yet ended. */
    private int live;
    private volatile boolean closed;

    /** Virtual threads (the default). */
    HandlerWorkers(String name, Consumer<HandlerTask> body, Consumer<HandlerTask> publish) {
        this(name, HandlerThreads.virtual(), body, publish);
    }

    /**
     * @param name thread name of the workers
     * @param threads which threads run the tasks
     * @param body runs one task to its end, without publishing its outcome
     * @param publish publishes a task's outcome (called after the worker is idle again, or has its next task)
     */
    HandlerWorkers(String name, HandlerThreads threads, Consumer<HandlerTask> body, Consumer<HandlerTask> publish) {
        this.name = name;
        this.maxThreads = threads instanceof HandlerThreads.Platform p ? p.threads() : 0;
        this.body = t -> {
            try {
                body.accept(t);
            } finally {
                java.util.Objects.requireNonNull(t.worker).finished(t);
                publish.accept(t);
            }
        };
    }

    /**
     * Runs the task on an idle worker, or on a new one if none is idle; with platform threads, queues it instead
     * when all of them are busy.
     */
    void start(HandlerTask task) {
        if (maxThreads > 0) {
            startBounded(task);
            return;
        }
        Worker w = idle.pollFirst();
        if (w != null) {
            idleCount.decrementAndGet();
            w.hand(task);
            return;
        }
        launch(task);
    }

    private void startBounded(HandlerTask task) {
        Worker w;
        poolLock.lock();
        try {
            w = idle.pollFirst();
            if (w == null) {
                if (live >= maxThreads) {
                    queued.addLast(task);
                    return;
                }
                live++;
            }
        } finally {
            poolLock.unlock();
        }
        if (w != null) {
            w.hand(task);
        } else {
            launch(task);
        }
    }

    private void launch(HandlerTask task) {
        Worker w = new Worker();
        started.incrementAndGet();
        w.next = task;
        task.worker = w;
        w.thread = maxThreads > 0 ? Thread.ofPlatform().name(name).daemon(true).unstarted(w)
                : Thread.ofVirtual().name(name).unstarted(w);
        w.thread.start();
    }

    /** Tasks waiting for a platform thread (for tests). */
    int queuedTasks() {
        poolLock.lock();
        try {
            return queued.size();
        } finally {
            poolLock.unlock();
        }
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
            if (maxThreads > 0) {
                poolLock.lock();
                try {
                    HandlerTask queuedTask = closed ? null : queued.pollFirst();
                    if (queuedTask != null) {
                        queuedTask.worker = this;
                        next = queuedTask;
                    } else if (closed) {
                        live--;
                        retired = true;
                    } else {
                        idle.addFirst(this);
                    }
                } finally {
                    poolLock.unlock();
                }
                return;
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
                        if (idle.removeFirstOccurrence(this) && maxThreads == 0) {
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
