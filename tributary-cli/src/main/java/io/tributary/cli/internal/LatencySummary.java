package io.tributary.cli.internal;

import org.HdrHistogram.Histogram;

/**
 * Percentiles of a latency histogram, in microseconds.
 *
 * @param count samples
 * @param p50   median
 * @param p90   90th percentile
 * @param p99   99th percentile
 * @param p999  99.9th percentile
 * @param max   largest sample
 */
public record LatencySummary(long count, double p50, double p90, double p99, double p999, double max) {

    /** Summarizes a histogram of nanosecond samples. */
    public static LatencySummary ofNanos(Histogram h) {
        if (h.getTotalCount() == 0) {
            return new LatencySummary(0, 0, 0, 0, 0, 0);
        }
        return new LatencySummary(h.getTotalCount(), micros(h.getValueAtPercentile(50)),
                micros(h.getValueAtPercentile(90)), micros(h.getValueAtPercentile(99)),
                micros(h.getValueAtPercentile(99.9)), micros(h.getMaxValue()));
    }

    private static double micros(long nanos) {
        return nanos / 1_000.0;
    }
}
