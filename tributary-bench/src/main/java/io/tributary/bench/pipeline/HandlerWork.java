package io.tributary.bench.pipeline;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.jspecify.annotations.Nullable;

/**
 * The whole of the benchmark's handler, the same for every system measured: count the event and, in latency runs,
 * record {@code now - stamp} where the stamp is the {@link System#nanoTime()} the producer wrote into the value's
 * first 8 bytes (big-endian). Nothing else, so what is measured is the plumbing around the handler.
 *
 * <p><b>Thread-safety:</b> safe for concurrent handler calls (the processor runs them on many virtual threads):
 * counts go to a {@link LongAdder}, latencies to an HdrHistogram {@link Recorder} (wait-free for writers).
 */
final class HandlerWork {

    /** Bytes at the start of every value that carry the producer's stamp. */
    static final int STAMP_BYTES = Long.BYTES;

    private final LongAdder handled = new LongAdder();
    private final AtomicLong firstHandledNanos = new AtomicLong();
    private final @Nullable Recorder latency;
    private volatile long recordFrom = Long.MAX_VALUE;
    private volatile long recordUntil = Long.MIN_VALUE;

    private HandlerWork(@Nullable Recorder latency) {
        this.latency = latency;
    }

    /** A handler that only counts (throughput runs). */
    static HandlerWork counting() {
        return new HandlerWork(null);
    }

    /** A handler that also records latency, for stamps inside the window set by {@link #recordStampsIn}. */
    static HandlerWork timing() {
        return new HandlerWork(new Recorder(3));
    }

    /** Records only events stamped in {@code [fromNanos, untilNanos)}: warm-up events are handled but not recorded. */
    void recordStampsIn(long fromNanos, long untilNanos) {
        recordFrom = fromNanos;
        recordUntil = untilNanos;
    }

    /** One event handled by itself: the per-event handler. */
    void one(byte @Nullable [] value) {
        long now = System.nanoTime();
        noteFirst(now);
        record(value, now);
        handled.increment();
    }

    /**
     * Events of one batch, all completed at {@code now}: the batch handler calls this for each event, then
     * {@link #batchDone}.
     */
    void record(byte @Nullable [] value, long now) {
        Recorder r = latency;
        if (r == null || value == null || value.length < STAMP_BYTES) {
            return;
        }
        long stamp = stampOf(value);
        if (stamp >= recordFrom && stamp < recordUntil) {
            r.recordValue(Math.max(0, now - stamp));
        }
    }

    /** Counts a finished batch of {@code events} that completed at {@code now}. */
    void batchDone(int events, long now) {
        noteFirst(now);
        handled.add(events);
    }

    long handled() {
        return handled.sum();
    }

    /** When the first event was handled ({@link System#nanoTime()}), or 0 if none was yet. */
    long firstHandledNanos() {
        return firstHandledNanos.get();
    }

    /** Every latency recorded so far, in nanoseconds. */
    Histogram latencies() {
        Recorder r = latency;
        if (r == null) {
            throw new IllegalStateException("this handler was made by counting(); use timing() to record latency");
        }
        return r.getIntervalHistogram();
    }

    private void noteFirst(long now) {
        if (firstHandledNanos.get() == 0) {
            firstHandledNanos.compareAndSet(0, now);
        }
    }

    static void putStamp(byte[] value, long stamp) {
        for (int i = 7; i >= 0; i--) {
            value[i] = (byte) stamp;
            stamp >>>= 8;
        }
    }

    static long stampOf(byte[] value) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (value[i] & 0xFF);
        }
        return v;
    }
}
