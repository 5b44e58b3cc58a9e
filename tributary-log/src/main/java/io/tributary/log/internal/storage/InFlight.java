package io.tributary.log.internal.storage;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.jspecify.annotations.Nullable;

/**
 * A producer's appends not yet known to be done, oldest first, for {@code flush()}: the futures of the future forms
 * and a {@link Completion} per append of the callback form (never the append itself: that would keep its encoded
 * batch, its callback and what the callback holds alive after it was told).
 *
 * <p>Entries are dropped when done: from the head by every {@link #add}, and, so that one stuck partition (its
 * append at the head never done) cannot make the list grow while other partitions' appends come and go, by a sweep
 * of the whole list once {@value #SWEEP_MIN} or twice as many entries as the last sweep left have been added since
 * it. So the list holds the undone appends, each holding at least one byte of the producer's budget
 * ({@code bufferMemoryBytes}) or waiting for it, plus at most about {@code max(SWEEP_MIN, 2 x undone)} done ones.
 *
 * <p>One thread trims at a time: with two, both could see the same done head and both poll, the second removing an
 * entry not done, and a flush would then return before that append was durable. A thread that finds another
 * trimming skips it (the other one trims).
 */
final class InFlight {

    static final int SWEEP_MIN = 1024;

    private final ConcurrentLinkedQueue<Object> entries = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean trimming = new AtomicBoolean();
    private final LongAdder added = new LongAdder();
    /** Guarded by {@link #trimming}. */
    private long addedAtSweep;
    /** Guarded by {@link #trimming}. */
    private long sweepAfter = SWEEP_MIN;

    /** Tracks a {@link CompletableFuture} or a {@link Completion}. */
    void add(Object append) {
        entries.offer(append);
        added.increment();
        if (!trimming.compareAndSet(false, true)) {
            return;
        }
        try {
            Object head;
            while ((head = entries.peek()) != null && isDone(head)) {
                entries.poll(); // the head still: only the trimming thread removes entries
            }
            long n = added.sum();
            if (head != null && n - addedAtSweep >= sweepAfter) {
                entries.removeIf(InFlight::isDone);
                addedAtSweep = n;
                sweepAfter = Math.max(SWEEP_MIN, 2L * entries.size());
            }
        } finally {
            trimming.set(false);
        }
    }

    /** Waits until every append tracked before this call is done (failures are reported through the append). */
    void awaitAll() {
        for (Object append : entries.toArray()) {
            if (append instanceof Completion c) {
                c.awaitDone();
                continue;
            }
            try {
                ((CompletableFuture<?>) append).join();
            } catch (RuntimeException ignored) {
                // flush waits for completion; the failure is reported through the append's own future
            }
        }
    }

    /** Test support: how many entries are tracked (walks the list). */
    int size() {
        return entries.size();
    }

    /** Test support: whether {@code append} is tracked (walks the list). */
    boolean tracks(Object append) {
        return entries.contains(append);
    }

    private static boolean isDone(Object append) {
        return append instanceof Completion c ? c.isDone() : ((CompletableFuture<?>) append).isDone();
    }

    /** One callback-form append's "told" state: what {@link #awaitAll} waits on, without a future per append. */
    static final class Completion {

        private static final VarHandle FLUSHED;

        static {
            try {
                FLUSHED = MethodHandles.lookup().findVarHandle(Completion.class, "flushed", CompletableFuture.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private volatile boolean done;
        private volatile @Nullable CompletableFuture<Void> flushed;

        boolean isDone() {
            return done;
        }

        void finish() {
            done = true; // before reading flushed, and awaitDone sets flushed before reading done: one sees the other
            CompletableFuture<Void> f = flushed;
            if (f != null) {
                f.complete(null);
            }
        }

        /** Waits until {@link #finish()}; makes a future only for an append still in flight. */
        @SuppressWarnings("unchecked")
        void awaitDone() {
            CompletableFuture<Void> f = flushed;
            if (f == null) {
                CompletableFuture<Void> mine = new CompletableFuture<>();
                // two flushes at once must wait on the same future: finish() completes only the one it reads
                f = (CompletableFuture<Void>) FLUSHED.compareAndExchange(this, null, mine);
                if (f == null) {
                    f = mine;
                }
            }
            if (!done) {
                f.join();
            }
        }
    }
}
