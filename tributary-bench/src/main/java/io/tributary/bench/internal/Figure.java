package io.tributary.bench.internal;

import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * One measured figure, e.g. {@code append.100B.p1.never = 2.1 M records/s}, with the target it is held to (if any)
 * and how it compares with each peer measured in the same run.
 *
 * @param name        stable, dotted name ({@code <workload>.<size>.<partitions>.<durability>[.<stat>]})
 * @param unit        {@code records/s}, {@code us}, {@code ms} or {@code MiB}
 * @param value       our figure
 * @param description what was measured, in words
 * @param target      an absolute target (one not about a peer), or {@code null}
 * @param vs          comparisons with peers measured in the same run, possibly none
 */
public record Figure(String name, String unit, double value, String description, @Nullable Verdict target,
                     List<Comparison> vs) {

    public Figure {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(unit, "unit");
        vs = List.copyOf(vs);
    }

    public static Figure of(String name, String unit, double value, String description) {
        return new Figure(name, unit, value, description, null, List.of());
    }

    public Figure withTarget(Verdict verdict) {
        return new Figure(name, unit, value, description, verdict, vs);
    }

    /** A copy with one more comparison. */
    public Figure with(Comparison comparison) {
        List<Comparison> more = new java.util.ArrayList<>(vs);
        more.add(comparison);
        return new Figure(name, unit, value, description, target, more);
    }

    /**
     * Our figure against a peer's. {@code ratio} is always ours / theirs, so above 1 is better for throughput and
     * worse for latency; the target (if any) says which way it must go.
     *
     * @param peer      which peer and how it was configured, e.g. {@code kafka flush.messages=1}
     * @param peerValue the peer's figure, same unit
     * @param target    the ratio target with its verdict, or {@code null}
     * @param paired    when both figures are medians of paired trials ({@code --backend kafka}'s throughput rows),
     *                  the trials themselves; the ratio is then the median of the per-pair ratios, not the ratio of
     *                  the two medians; otherwise {@code null}
     * @param cpu       with {@code paired}, the same trials' process CPU per record, the peer's over ours (above 1:
     *                  ours spends less): steadier than records/s on a loaded machine, whose other processes lengthen
     *                  a trial's wall time but barely the CPU this one spends per record; {@code null} if unknown
     */
    public record Comparison(String peer, double peerValue, @Nullable Verdict target, @Nullable PairedRatio paired,
                             @Nullable PairedRatio cpu) {

        public Comparison {
            Objects.requireNonNull(peer, "peer");
        }

        public Comparison(String peer, double peerValue, @Nullable Verdict target) {
            this(peer, peerValue, target, null, null);
        }

        /** Ours / theirs: the median of the per-pair ratios for paired trials, else the ratio of the two figures. */
        public double ratio(double ours) {
            if (paired != null) {
                return paired.medianRatio();
            }
            return ratioOfFigures(ours);
        }

        /** Our figure / the peer's figure (for paired trials: the ratio of the two medians). */
        public double ratioOfFigures(double ours) {
            return peerValue == 0 ? Double.NaN : ours / peerValue;
        }
    }

    /**
     * A target and whether the figure met it.
     *
     * @param text what was asked, e.g. {@code >= 4x} or {@code < 300 ms}
     * @param met  whether it was met in this run
     */
    public record Verdict(String text, boolean met) {

        /** {@code value >= ratio x reference}, e.g. records/s at least 4x Kafka's. */
        public static Verdict ratioAtLeast(double ours, double theirs, double factor) {
            return new Verdict(">= " + trim(factor) + "x", theirs > 0 && ours / theirs >= factor);
        }

        /** {@code value <= factor x reference}, e.g. latency within 1.5x of a raw fdatasync. */
        public static Verdict ratioAtMost(double ours, double theirs, double factor, String reference) {
            return new Verdict("<= " + trim(factor) + "x " + reference, theirs > 0 && ours / theirs <= factor);
        }

        /** {@code value < limit}. */
        public static Verdict below(double value, double limit, String unit) {
            return new Verdict("< " + trim(limit) + " " + unit, value < limit);
        }

        /**
         * Paired trials against a factor: met only when the whole interval of the median ratio is at or above it;
         * the text says which of above, below or undecided ({@link PairedRatio#against}).
         */
        public static Verdict pairedAtLeast(PairedRatio paired, double factor) {
            PairedRatio.Outcome o = paired.against(factor);
            return new Verdict(">= " + trim(factor) + "x (" + o.word() + ")", o == PairedRatio.Outcome.ABOVE);
        }

        /** A factor as a target's text prints it: {@code 1} for 1.0, {@code 0.9} for 0.9. */
        public static String trim(double d) {
            return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
        }
    }
}
