package io.tributary.cli.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a demo run measured and whether its delivery check passed. Immutable.
 *
 * @param settings        what ran
 * @param backend         the log backend's name
 * @param groupSettled    whether the consumer group settled before producing started
 * @param produceNanos    from the first send to the last acknowledgement
 * @param endToEndNanos   from the first send to the last event consumed
 * @param acknowledged    events acknowledged by the log
 * @param ackLatency      send to acknowledgement
 * @param endToEndLatency send to consume
 * @param verdict         the delivery check
 */
public record DemoReport(DemoSettings settings, String backend, boolean groupSettled, long produceNanos,
                         long endToEndNanos, long acknowledged, LatencySummary ackLatency,
                         LatencySummary endToEndLatency, DeliveryCheck.Verdict verdict) {

    public boolean passed() {
        return verdict.passed();
    }

    public double produceRate() {
        return acknowledged / Math.max(produceNanos / 1e9, 1e-9);
    }

    public double endToEndRate() {
        return verdict.received() / Math.max(endToEndNanos / 1e9, 1e-9);
    }

    /** The report for people, one line per entry. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("Tributary demo on the " + backend + " log: topic '" + DemoWorkload.TOPIC + "' with "
                + settings.partitions() + " partitions (fsync=" + settings.durability() + "), "
                + settings.producers() + " producer threads, " + settings.consumers() + " consumers in group '"
                + DemoWorkload.GROUP + "'");
        out.add("Events:      " + Units.count(settings.events()) + " over " + Units.count(settings.keys())
                + " keys, " + settings.valueBytes() + "-byte values");
        out.add("Produce:     " + Units.count(acknowledged) + " acknowledged in " + Units.seconds(produceNanos / 1e9)
                + " = " + Units.rate(produceRate()) + " events/s");
        out.add("End to end:  " + Units.count(verdict.received()) + " consumed in "
                + Units.seconds(endToEndNanos / 1e9) + " = " + Units.rate(endToEndRate()) + " events/s");
        out.add(String.format(Locale.ROOT, "Latency (us) %10s %10s %10s %10s %10s", "p50", "p90", "p99", "p99.9", "max"));
        out.add(latencyLine("  send->ack  ", ackLatency));
        out.add(latencyLine("  send->read ", endToEndLatency));
        if (!groupSettled) {
            out.add("Note:        the consumer group had not settled when producing began.");
        }
        out.add("Check:       " + verdict.summary());
        for (String example : verdict.examples()) {
            out.add("             - " + example);
        }
        return out;
    }

    /**
     * One JSON object, as every benchmark prints with {@code --json}: {@code figures} (name, unit, value), the
     * settings and the check.
     */
    public String json() {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        root.put("command", "demo");
        root.put("backend", backend);
        ObjectNode s = root.putObject("settings");
        s.put("events", settings.events()).put("partitions", settings.partitions())
                .put("producers", settings.producers()).put("consumers", settings.consumers())
                .put("keys", settings.keys()).put("valueBytes", settings.valueBytes())
                .put("fsync", settings.durability().toString()).put("fault", settings.fault().name().toLowerCase(Locale.ROOT));
        ArrayNode figures = root.putArray("figures");
        figure(figures, "produce.throughput", "events/s", produceRate());
        figure(figures, "end_to_end.throughput", "events/s", endToEndRate());
        figure(figures, "produce.seconds", "s", produceNanos / 1e9);
        figure(figures, "end_to_end.seconds", "s", endToEndNanos / 1e9);
        latencyFigures(figures, "ack_latency", ackLatency);
        latencyFigures(figures, "end_to_end_latency", endToEndLatency);
        ObjectNode c = root.putObject("check");
        c.put("passed", verdict.passed()).put("expected", verdict.expected()).put("received", verdict.received())
                .put("duplicates", verdict.duplicates()).put("gaps", verdict.gaps()).put("missing", verdict.missing())
                .put("partitionMoves", verdict.partitionMoves());
        ArrayNode examples = c.putArray("problems");
        verdict.examples().forEach(examples::add);
        try {
            return mapper.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("Cannot write the demo report as JSON", e);
        }
    }

    private static void figure(ArrayNode figures, String name, String unit, double value) {
        figures.addObject().put("name", name).put("unit", unit).put("value", value);
    }

    private static void latencyFigures(ArrayNode figures, String name, LatencySummary l) {
        figure(figures, name + ".p50", "us", l.p50());
        figure(figures, name + ".p90", "us", l.p90());
        figure(figures, name + ".p99", "us", l.p99());
        figure(figures, name + ".p999", "us", l.p999());
        figure(figures, name + ".max", "us", l.max());
    }

    private static String latencyLine(String label, LatencySummary l) {
        return String.format(Locale.ROOT, "%-12s %10.1f %10.1f %10.1f %10.1f %10.1f", label, l.p50(), l.p90(), l.p99(),
                l.p999(), l.max());
    }
}
