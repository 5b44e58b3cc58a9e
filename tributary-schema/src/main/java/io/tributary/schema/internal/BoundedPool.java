package io.tributary.schema.internal;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A few reusable objects lent to one caller at a time, without {@link ThreadLocal}: per-thread state is rebuilt on
 * every call when each call runs on a fresh virtual thread, whereas this pool keeps about as many objects as calls run
 * at once. Taking and giving back cost one atomic exchange each on a free slot; when every slot is empty a new object
 * is made, and when every slot is full a returned object is dropped, so the pool never holds more than its slots.
 *
 * <p>Thread-safe and lock-free. An object is held by at most one caller between {@link #take} and {@link #give}.
 */
public final class BoundedPool<T> {

    private final AtomicReferenceArray<@Nullable T> slots;
    private final Supplier<T> make;
    private final LongAdder made = new LongAdder();

    public BoundedPool(int capacity, Supplier<T> make) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be at least 1, got " + capacity);
        }
        this.slots = new AtomicReferenceArray<>(capacity);
        this.make = make;
    }

    /** A pool with two slots per processor (callers rarely outnumber the carriers that run them), at least 4. */
    public static <T> BoundedPool<T> perProcessor(Supplier<T> make) {
        return new BoundedPool<>(Math.max(4, Math.min(64, 2 * Runtime.getRuntime().availableProcessors())), make);
    }

    /** An object for the caller's sole use until it gives it back: a pooled one, else a new one. */
    public T take() {
        int n = slots.length();
        int start = start(n);
        for (int i = 0; i < n; i++) {
            int slot = (start + i) % n;
            if (slots.getPlain(slot) != null) {
                T taken = slots.getAndSet(slot, null);
                if (taken != null) {
                    return taken;
                }
            }
        }
        made.increment();
        return make.get();
    }

    /** Returns an object taken from this pool; the caller must not touch it afterwards. */
    public void give(T object) {
        int n = slots.length();
        int start = start(n);
        for (int i = 0; i < n; i++) {
            int slot = (start + i) % n;
            if (slots.getPlain(slot) == null && slots.compareAndSet(slot, null, object)) {
                return;
            }
        }
    }

    /** Objects made so far because the pool had none to lend: about the peak of callers at once, if it is big enough. */
    public long made() {
        return made.sum();
    }

    /** Slots: the most objects the pool holds between uses. */
    public int capacity() {
        return slots.length();
    }

    /** Objects held now, for tests and gauges. */
    public int idle() {
        int idle = 0;
        for (int i = 0; i < slots.length(); i++) {
            if (slots.get(i) != null) {
                idle++;
            }
        }
        return idle;
    }

    /** Where a thread starts probing: spread by thread id so concurrent callers mostly touch different slots. */
    private static int start(int n) {
        return (int) Long.remainderUnsigned(Thread.currentThread().threadId() * 0x9E3779B97F4A7C15L >>> 32, n);
    }
}
