package io.tributary.bench.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.bench.internal.Figure.Comparison;
import io.tributary.bench.internal.Figure.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The figures of one run, in the order they were measured, printed as a table for people and as one JSON object
 * for tools. Comparisons are attached to our figure by name once the peer has been measured. Not thread-safe: the
 * suite fills it from one thread.
 */
public final class Report {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, Figure> figures = new LinkedHashMap<>();

    public void add(Figure figure) {
        figures.put(figure.name(), figure);
    }

    public Optional<Figure> get(String name) {
        return Optional.ofNullable(figures.get(name));
    }

    public List<Figure> figures() {
        return List.copyOf(figures.values());
    }

    /** Attaches a peer's figure to ours (if we measured it), with no target. */
    public void compare(String name, String peer, double peerValue) {
        attach(name, f -> new Comparison(peer, peerValue, null));
    }

    /** Attaches a peer's figure to ours with the target {@code ours >= factor x theirs} (throughput). */
    public void compareAtLeast(String name, String peer, double peerValue, double factor) {
        attach(name, f -> new Comparison(peer, peerValue, Verdict.ratioAtLeast(f.value(), peerValue, factor)));
    }

    /**
     * Attaches the peer's side of paired trials to ours (whose figure is the median of our side of {@code paired}):
     * the peer's median, the median of the per-pair ratios with its interval, and the target that interval must
     * clear, {@code ratio >= factor} ({@link Verdict#pairedAtLeast}); {@code cpu}, if known, pairs the same trials'
     * process CPU per record, the peer's over ours ({@link Comparison#cpu}).
     */
    public void comparePaired(String name, String peer, PairedRatio paired, @Nullable PairedRatio cpu, double factor) {
        attach(name, f -> new Comparison(peer, paired.medianReference(), Verdict.pairedAtLeast(paired, factor), paired,
                cpu));
    }

    /** Attaches a peer's figure to ours with the target {@code ours <= factor x theirs} (latency). */
    public void compareAtMost(String name, String peer, double peerValue, double factor) {
        attach(name, f -> new Comparison(peer, peerValue, Verdict.ratioAtMost(f.value(), peerValue, factor, "")));
    }

    private void attach(String name, java.util.function.Function<Figure, Comparison> comparison) {
        Figure f = figures.get(name);
        if (f != null) {
            figures.put(name, f.with(comparison.apply(f)));
        }
    }

    /** A fixed-width table: one row per figure and comparison. */
    public String table() {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"figure", "ours", "unit", "peer", "peer's", "ratio", "spread", "target", "met?"});
        for (Figure f : figures.values()) {
            Verdict t = f.target();
            rows.add(new String[] {f.name(), number(f.value(), f.unit()), f.unit(), "", "", "", "",
                    t == null ? "" : t.text(), t == null ? "" : (t.met() ? "yes" : "NO")});
            for (Comparison c : f.vs()) {
                Verdict ct = c.target();
                PairedRatio p = c.paired();
                String met = ct == null ? "" : ct.met() ? "yes" : "NO";
                if (p != null && ct != null && !ct.met() && ct.text().endsWith("(undecided)")) {
                    met = "unclear";
                }
                rows.add(new String[] {"", "", "", c.peer(), number(c.peerValue(), f.unit()),
                        ratio(c.ratio(f.value())), p == null ? "" : spread(p, c.cpu()),
                        ct == null ? "" : ct.text(), met});
            }
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                boolean numeric = i == 1 || i == 4 || i == 5;
                String cell = numeric ? " ".repeat(width[i] - r[i].length()) + r[i]
                        : r[i] + " ".repeat(width[i] - r[i].length());
                line.append(cell).append(i == r.length - 1 ? "" : "  ");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    /** The whole run as one JSON object: {@code meta} fields first, then {@code figures}. */
    public String json(Map<String, Object> meta) {
        ObjectNode root = JSON.createObjectNode();
        meta.forEach((k, v) -> root.set(k, JSON.valueToTree(v)));
        ArrayNode list = root.putArray("figures");
        for (Figure f : figures.values()) {
            ObjectNode n = list.addObject();
            n.put("name", f.name());
            n.put("unit", f.unit());
            put(n, "value", f.value());
            n.put("description", f.description());
            if (f.target() != null) {
                n.put("target", f.target().text());
                n.put("met", f.target().met());
            }
            if (!f.vs().isEmpty()) {
                ArrayNode vs = n.putArray("vs");
                for (Comparison c : f.vs()) {
                    ObjectNode cn = vs.addObject();
                    cn.put("peer", c.peer());
                    put(cn, "peer_value", c.peerValue());
                    put(cn, "ratio", c.ratio(f.value()));
                    if (c.target() != null) {
                        cn.put("target", c.target().text());
                        cn.put("met", c.target().met());
                    }
                    PairedRatio p = c.paired();
                    if (p != null) {
                        put(cn, "ratio_of_medians", c.ratioOfFigures(f.value()));
                        String verdict = null;
                        if (c.target() != null) {
                            String text = c.target().text();
                            verdict = text.substring(text.lastIndexOf('(') + 1, text.length() - 1);
                        }
                        cn.set("paired", paired(p, verdict, c.cpu()));
                    }
                }
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("Could not write the benchmark report as JSON", e);
        }
    }

    /**
     * Paired trials as JSON, the fields every bench that pairs trials reports ({@code bench log --backend kafka},
     * {@code bench eventstore --vs axon}): {@code pairs}, {@code ratio_median}, the interval {@code ratio_low} to
     * {@code ratio_high} with its {@code coverage}, {@code ratio_min} and {@code ratio_max}, the {@code verdict}
     * (above, below or undecided; left out when there is no target), the CPU ratios if known, and the trials
     * themselves: {@code ratios} (ours / the peer's, in trial order), {@code ours} and {@code peer}.
     */
    public static ObjectNode paired(PairedRatio p, @Nullable String verdict, @Nullable PairedRatio cpu) {
        ObjectNode pn = JSON.createObjectNode();
        pn.put("pairs", p.pairs());
        put(pn, "ratio_median", p.medianRatio());
        put(pn, "ratio_low", p.low());
        put(pn, "ratio_high", p.high());
        put(pn, "coverage", p.coverage());
        put(pn, "ratio_min", p.minRatio());
        put(pn, "ratio_max", p.maxRatio());
        if (verdict != null) {
            pn.put("verdict", verdict);
        }
        if (cpu != null) {
            put(pn, "cpu_ratio_median", cpu.medianRatio());
            put(pn, "cpu_ratio_low", cpu.low());
            put(pn, "cpu_ratio_high", cpu.high());
        }
        ArrayNode ratios = pn.putArray("ratios");
        for (double r : p.ratios()) {
            ratios.add(Math.round(r * 1000.0) / 1000.0);
        }
        ArrayNode ours = pn.putArray("ours");
        p.ours().forEach(v -> ours.add(Math.round(v)));
        ArrayNode theirs = pn.putArray("peer");
        p.reference().forEach(v -> theirs.add(Math.round(v)));
        return pn;
    }

    /** Numbers to three decimals; NaN and infinities (not JSON) as null. */
    private static void put(ObjectNode n, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            n.putNull(field);
        } else {
            n.put(field, Math.round(v * 1000.0) / 1000.0);
        }
    }

    private static String ratio(double r) {
        if (Double.isNaN(r) || Double.isInfinite(r)) {
            return "-";
        }
        return String.format(Locale.ROOT, r < 0.1 ? "%.4fx" : "%.2fx", r);
    }

    /**
     * {@code [0.91-0.99] of 10, min-max 0.85-1.02; CPU/record 0.97x [0.95-0.99]}: the interval of the median pair
     * ratio, the range of all pairs, and the paired CPU ratio if known.
     */
    private static String spread(PairedRatio p, @Nullable PairedRatio cpu) {
        String text = String.format(Locale.ROOT, "[%.2f-%.2f] of %d, min-max %.2f-%.2f", p.low(), p.high(), p.pairs(),
                p.minRatio(), p.maxRatio());
        return cpu == null ? text : text + String.format(Locale.ROOT, "; CPU/record %.2fx [%.2f-%.2f]",
                cpu.medianRatio(), cpu.low(), cpu.high());
    }

    static String number(double v, String unit) {
        if (unit.equals("records/s")) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.1f", v);
    }
}
