package io.tributary.bench.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How one side's rate compares with a reference's over paired trials (records/s of a log client against raw
 * kafka-clients in {@code bench log}, events/s of our event store against Axon's in {@code bench eventstore}):
 * trial {@code i} of each ran in the
 * same round, one right after the other, so whatever the machine did during that round (another process, the disk's
 * writeback, a slow fsync) falls on both, and the ratio of the pair cancels most of it. Reports the median of the
 * per-pair ratios (ours / reference), their range, and a distribution-free confidence interval of that median (the
 * sign-test interval: order statistics {@code k} and {@code n + 1 - k} of the sorted ratios, with {@code k} the
 * largest for which the interval covers the true median with at least {@link #CONFIDENCE}; it assumes only that the
 * pairs are independent, not that the ratios are normal). The verdict against a target factor is
 * {@link Outcome#ABOVE} only when the whole interval is at or above it, {@link Outcome#BELOW} when the whole interval
 * is below it, otherwise {@link Outcome#UNDECIDED}: the trials cannot tell.
 *
 * <p>Immutable; thread-safe.
 *
 * @param ours      our rate (records/s, events/s: any unit where more is better), trial by trial
 * @param reference the reference's rate in the same unit, the same trials' pairs (same length, same order)
 */
public record PairedRatio(List<Double> ours, List<Double> reference) {

    /** Coverage asked of the interval: at least 90%. */
    public static final double CONFIDENCE = 0.90;

    /** Where the interval of the median ratio lies against a target factor. */
    public enum Outcome {
        /** The whole interval is at or above the factor: the target is met. */
        ABOVE,
        /** The whole interval is below the factor: the target is missed. */
        BELOW,
        /** The interval straddles the factor: these trials cannot tell; more pairs, or a quieter machine, might. */
        UNDECIDED;

        /** The word the reports print and the JSON carries as {@code verdict}: above, below or undecided. */
        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public PairedRatio {
        ours = List.copyOf(ours);
        reference = List.copyOf(reference);
        if (ours.size() != reference.size() || ours.isEmpty()) {
            throw new IllegalArgumentException("paired trials need as many of ours as of the reference's, at least one: "
                    + ours.size() + " of ours, " + reference.size() + " of the reference's");
        }
        for (int i = 0; i < ours.size(); i++) {
            if (!(ours.get(i) > 0) || !(reference.get(i) > 0)) {
                throw new IllegalArgumentException("trial " + (i + 1) + " has a rate that is not positive (ours "
                        + ours.get(i) + ", reference " + reference.get(i) + "): a failed trial must be left out of "
                        + "both sides");
            }
        }
    }

    /**
     * The rounds in which both sides' trials succeeded, as paired trials; empty if there are none. A failed trial is
     * one whose rate is not positive (NaN, 0): its round is left out of both sides, so the rounds that remain stay
     * paired.
     */
    public static Optional<PairedRatio> ofRounds(List<Double> ours, List<Double> reference) {
        List<Double> a = new ArrayList<>();
        List<Double> b = new ArrayList<>();
        for (int i = 0; i < Math.min(ours.size(), reference.size()); i++) {
            if (ours.get(i) > 0 && reference.get(i) > 0) {
                a.add(ours.get(i));
                b.add(reference.get(i));
            }
        }
        return a.isEmpty() ? Optional.empty() : Optional.of(new PairedRatio(a, b));
    }

    /**
     * The sides' order in round {@code round} (side {@code 0} to {@code sides - 1}): even rounds rotate the list by
     * {@code round / 2}, odd rounds run the round before backwards; two sides thus go A B, B A, B A, A B (ABBA), so
     * over any even number of rounds each runs first, and last, in half of them, and a drift of the machine within
     * four rounds falls on both alike; three go through all six orders.
     */
    public static List<Integer> roundOrder(int sides, int round) {
        if (sides < 1 || round < 0) {
            throw new IllegalArgumentException("round " + round + " of " + sides + " sides: need at least one side and"
                    + " a round from 0");
        }
        List<Integer> order = new ArrayList<>();
        int shift = (round / 2) % sides;
        for (int j = 0; j < sides; j++) {
            order.add((j + shift) % sides);
        }
        if (round % 2 == 1) {
            Collections.reverse(order);
        }
        return order;
    }

    public int pairs() {
        return ours.size();
    }

    /** The per-pair ratios ours / reference, in trial order. */
    public double[] ratios() {
        double[] r = new double[ours.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ours.get(i) / reference.get(i);
        }
        return r;
    }

    public double medianRatio() {
        return median(ratios());
    }

    public double minRatio() {
        return Arrays.stream(ratios()).min().orElseThrow();
    }

    public double maxRatio() {
        return Arrays.stream(ratios()).max().orElseThrow();
    }

    public double medianOurs() {
        return median(ours.stream().mapToDouble(Double::doubleValue).toArray());
    }

    public double medianReference() {
        return median(reference.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Lower end of the interval of the median ratio (the smallest ratio when there are too few pairs for one). */
    public double low() {
        double[] r = sortedRatios();
        return r[rank(r.length) - 1];
    }

    /** Upper end of the interval of the median ratio (the largest ratio when there are too few pairs for one). */
    public double high() {
        double[] r = sortedRatios();
        return r[r.length - rank(r.length)];
    }

    /** The interval's actual coverage (at least {@link #CONFIDENCE} from 5 pairs on; with fewer, what min-max gives). */
    public double coverage() {
        int n = ours.size();
        return 1 - 2 * binomialCdfHalf(n, rank(n) - 1);
    }

    /**
     * Which side of {@code factor} the median ratio lies on, decided only when the interval covers at least
     * {@link #CONFIDENCE}: with fewer than 5 pairs (a quick run, a small {@code --pairs}, or rounds dropped because a
     * trial failed) the range of a handful of ratios is no 90% interval, so the row stays undecided however it looks.
     */
    public Outcome against(double factor) {
        if (coverage() < CONFIDENCE) {
            return Outcome.UNDECIDED;
        }
        if (low() >= factor) {
            return Outcome.ABOVE;
        }
        return high() < factor ? Outcome.BELOW : Outcome.UNDECIDED;
    }

    /** E.g. {@code 0.95x [0.91-0.99], 10 pairs}: the median ratio, its interval and how many pairs. */
    public String text() {
        return String.format(Locale.ROOT, "%.2fx [%.2f-%.2f], %d pairs", medianRatio(), low(), high(), pairs());
    }

    private double[] sortedRatios() {
        double[] r = ratios();
        Arrays.sort(r);
        return r;
    }

    /**
     * The sign-test interval's order statistic: the largest {@code k} with {@code P(Bin(n, 1/2) < k) <= (1 - C) / 2},
     * at least 1 (min-max).
     */
    static int rank(int n) {
        double tail = (1 - CONFIDENCE) / 2;
        int k = 1;
        while (k + 1 <= (n + 1) / 2 && binomialCdfHalf(n, k) <= tail) {
            k++;
        }
        return k;
    }

    /** {@code P(Bin(n, 1/2) <= x)}. */
    static double binomialCdfHalf(int n, int x) {
        double sum = 0;
        double term = Math.pow(0.5, n);
        for (int i = 0; i <= x; i++) {
            sum += term;
            term = term * (n - i) / (i + 1);
        }
        return sum;
    }

    static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}
