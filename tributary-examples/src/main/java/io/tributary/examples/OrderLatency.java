package io.tributary.examples;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * The demo's placed-to-confirmed latency, over every order and over the orders after the warm-up. Latency only: the
 * orders themselves always carry the time they were really placed.
 *
 * <p>An order's latency starts when it was <em>due</em> under {@code --rate} (open loop: the time it waited for the
 * driver, e.g. behind a full {@code --max-in-flight} or a slow schema switch, is part of its latency, as it would be for
 * a client sending on a schedule, so a stall does not hide its own cost), and when it was placed otherwise. The due
 * time of order {@code i} is {@code start + i / rate}, computed from the order's number, so nothing is kept per order.
 * The warm-up cut compares each order's own latency start with that of order {@code warmupOrders}: when the
 * confirmation arrives does not move it.
 *
 * <p>Thread-safe: the driver calls {@link #started} and {@link #placed}, the saga's handler threads
 * {@link #confirmed} concurrently.
 */
final class OrderLatency {

    private final int rate;
    private final long warmupOrders;
    private final ConcurrentHistogram all = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(30), 3);
    private final ConcurrentHistogram steady = new ConcurrentHistogram(TimeUnit.MINUTES.toMicros(30), 3);
    private final AtomicBoolean measuring = new AtomicBoolean(true);
    private volatile long startMicros;
    /** The latency start of order number warmupOrders; until it is placed, no order is past the warm-up. */
    private final AtomicLong steadyFromMicros = new AtomicLong(Long.MAX_VALUE);

    /**
     * @param rate         orders per second the driver places them at, 0 = as fast as it can (latency from placing)
     * @param warmupOrders orders whose latency is in the whole-run figures only
     */
    OrderLatency(int rate, long warmupOrders) {
        if (rate < 0 || warmupOrders < 0) {
            throw new IllegalArgumentException("rate=" + rate + " and warmupOrders=" + warmupOrders
                    + " must not be negative");
        }
        this.rate = rate;
        this.warmupOrders = warmupOrders;
    }

    /** The driver starts placing orders at {@code startMicros} (wall clock): order 0 is due then. */
    void started(long startMicros) {
        this.startMicros = startMicros;
    }

    /** When order {@code i} is due (wall clock, µs); only meaningful with a rate. */
    long dueMicros(long i) {
        return startMicros + (long) (i * 1e6 / rate);
    }

    /** The driver placed order number {@code i} at {@code placedAtMicros} (its real time, as the order stores it). */
    void placed(long i, long placedAtMicros) {
        if (i == warmupOrders) {
            steadyFromMicros.set(latencyStart(i, placedAtMicros));
        }
    }

    /** The saga confirmed order {@code orderId} (placed at {@code placedAtMicros}) at {@code confirmedAtMicros}. */
    void confirmed(String orderId, long placedAtMicros, long confirmedAtMicros) {
        if (!measuring.get()) {
            return;
        }
        long from = latencyStart(OrderFulfilmentDemo.orderNumber(orderId), placedAtMicros);
        long value = Math.max(0, Math.min(confirmedAtMicros - from, all.getHighestTrackableValue()));
        all.recordValue(value);
        if (from >= steadyFromMicros.get()) {
            steady.recordValue(value);
        }
    }

    /** Stops measuring: orders confirmed from now on (e.g. redriven ones, which waited for a fix on purpose) are left out. */
    void stop() {
        measuring.set(false);
    }

    /**
     * How long the warm-up lasted (s): from the first order's latency start (when the driver started) to that of order
     * number warmupOrders; 0 until that order is placed. The steady figures cover the orders from then on.
     */
    double warmupSeconds() {
        long from = steadyFromMicros.get();
        return from == Long.MAX_VALUE ? 0 : Math.max(0, from - startMicros) / 1e6;
    }

    /** Every order's latency so far (µs), a copy. */
    Histogram all() {
        return all.copy();
    }

    /** The latency (µs) of the orders whose latency started at or after that of order number warmupOrders, a copy. */
    Histogram steady() {
        return steady.copy();
    }

    private long latencyStart(long i, long placedAtMicros) {
        return rate > 0 ? dueMicros(i) : placedAtMicros;
    }
}
