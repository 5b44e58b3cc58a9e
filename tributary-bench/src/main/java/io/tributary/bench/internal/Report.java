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
        rows.add(new String[] {"figure", "ours", "unit", "peer", "peer's", "ratio", "target", "met?"});
        for (Figure f : figures.values()) {
            Verdict t = f.target();
            rows.add(new String[] {f.name(), number(f.value(), f.unit()), f.unit(), "", "", "",
                    t == null ? "" : t.text(), t == null ? "" : (t.met() ? "yes" : "NO")});
            for (Comparison c : f.vs()) {
                Verdict ct = c.target();
                rows.add(new String[] {"", "", "", c.peer(), number(c.peerValue(), f.unit()),
                        ratio(c.ratio(f.value())),
                        ct == null ? "" : ct.text(), ct == null ? "" : (ct.met() ? "yes" : "NO")});
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
                }
            }
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("Could not write the benchmark report as JSON", e);
        }
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

    static String number(double v, String unit) {
        if (unit.equals("records/s")) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return String.format(Locale.ROOT, v >= 100 ? "%,.0f" : "%.1f", v);
    }
}
