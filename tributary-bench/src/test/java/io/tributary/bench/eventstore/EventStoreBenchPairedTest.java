package io.tributary.bench.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tributary.bench.internal.PairedRatio;
import io.tributary.testdb.TestPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * {@code bench eventstore --vs axon --pairs N}: the PostgreSQL append workloads as paired trials of ours and Axon's,
 * in mirrored order, with each side's median, the median per-pair ratio, its interval and a verdict against 1x. The
 * runs here go to the test PostgreSQL ({@link TestPostgres}: 127.0.0.1:5432, else an embedded one, else skipped) with
 * 100 events per trial, so they check the method and the report's shape, never the speed: speed is for
 * docs/benchmarks.md, taken on a quiet machine.
 */
class EventStoreBenchPairedTest {

    private static final String PG = "postgres[transaction_id] append ";
    /** The seven append workloads, in the order they run. */
    private static final List<String> WORKLOADS = List.of(
            PG + "1 event/append, 10000 streams, 1 thread",
            PG + "1 event/append, 10000 streams, 4 threads",
            PG + "10 events/append, 10000 streams, 1 thread",
            PG + "10 events/append, 10000 streams, 4 threads",
            PG + "10 events/append, 10000 streams, 64 threads",
            PG + "1 event/append, one hot stream, 1 thread",
            PG + "10 events/append, one hot stream, 1 thread");

    @Test
    @Tag("slow")
    @Timeout(value = 180, unit = TimeUnit.SECONDS) // 15-40 s at load 4-7 on 2 cores
    void pairsEveryPostgresAppendWorkloadWithAxonsInMirroredOrderAndJudgesTheMedianRatio() throws Exception {
        Run run = run("--backend", "postgres", "--only", "appends", "--vs", "axon", "--pairs", "6", "--events", "100",
                "--pg-url", TestPostgres.jdbcUrl(), "--json");

        JsonNode report = run.json();
        assertThat(report.get("pairs").asInt()).isEqualTo(6);
        Map<String, List<Trial>> trials = trials(run.err());
        assertThat(trials).containsOnlyKeys(WORKLOADS);
        for (String name : WORKLOADS) {
            // AB, BA, BA, AB, AB, BA: each side goes first, and last, in half the rounds
            assertThat(trials.get(name)).as(name).extracting(Trial::side).containsExactly("ours", "axon", "axon",
                    "ours", "axon", "ours", "ours", "axon", "ours", "axon", "axon", "ours");
            // the figures are named apart from a single run's: their names say what they are a median of
            String rate = EventStoreBench.pairedName(name, 6);
            String pooled = " (pooled over 6 paired trials)";
            assertThat(rate).isEqualTo(name + " (median of 6 paired trials)");
            assertThat(report.get("figures")).noneMatch(f -> f.get("name").asText().equals(name));
            JsonNode vs = comparison(report, rate);
            // same work: in each round both sides appended the round's count, the one the JSON reports
            JsonNode counts = vs.get("trial_events");
            for (int i = 0; i < 6; i++) {
                List<Trial> round = trials.get(name).subList(2 * i, 2 * i + 2);
                assertThat(round).as("%s round %d", name, i + 1).extracting(Trial::round).containsOnly(i + 1);
                assertThat(round).as("%s round %d", name, i + 1).extracting(Trial::events)
                        .containsOnly(counts.get(i).asInt());
            }
            // same state: at the end both tables held the warm-up and every round's events (the bench checks the
            // tables and fails the run otherwise)
            long appended = vs.get("warmup_events").asLong();
            for (JsonNode c : counts) {
                appended += c.asLong();
            }
            assertThat(vs.get("stored_events").asLong()).as(name).isEqualTo(appended);
            JsonNode paired = vs.get("paired");
            assertThat(paired.get("pairs").asInt()).isEqualTo(6);
            double[] ratios = doubles(paired.get("ratios"));
            double[] ours = doubles(paired.get("ours"));
            double[] peer = doubles(paired.get("peer"));
            assertThat(ratios).hasSize(6);
            assertThat(ours).hasSize(6);
            assertThat(Arrays.stream(ours).min().orElseThrow()).isPositive();
            assertThat(peer).hasSize(6);
            assertThat(Arrays.stream(peer).min().orElseThrow()).isPositive();
            assertThat(vs.get("trial_events")).hasSize(6).allMatch(n -> n.asInt() > 0 && n.asInt() <= 100);
            // the medians are the trials' (to the rounding of the trial figures), the ratio the pairs' median
            assertThat(vs.get("value").asDouble()).isCloseTo(median(ours), within(0.51));
            assertThat(vs.get("peerValue").asDouble()).isCloseTo(median(peer), within(0.51));
            assertThat(vs.get("ratio").asDouble()).isCloseTo(median(ratios), within(0.0011));
            // 6 pairs: the sign-test interval is the whole range, which covers 96.9%, enough for a verdict
            assertThat(paired.get("ratio_low").asDouble()).isCloseTo(Arrays.stream(ratios).min().orElseThrow(), within(0.0011));
            assertThat(paired.get("ratio_high").asDouble()).isCloseTo(Arrays.stream(ratios).max().orElseThrow(), within(0.0011));
            assertThat(paired.get("coverage").asDouble()).isCloseTo(1 - 2 / 64.0, within(0.001));
            double low = paired.get("ratio_low").asDouble();
            double high = paired.get("ratio_high").asDouble();
            String verdict = paired.get("verdict").asText();
            if (Math.abs(low - 1) > 0.002 && Math.abs(high - 1) > 0.002) { // not on the line, to the JSON's rounding
                assertThat(verdict).as(name).isEqualTo(low >= 1 ? "above" : high < 1 ? "below" : "undecided");
            }
            assertThat(vs.get("met").asBoolean()).isEqualTo(verdict.equals("above"));
            assertThat(vs.get("target").asText()).isEqualTo(">= 1x (" + verdict + ")");
            assertThat(vs.get("ratio_of_medians").asDouble())
                    .isCloseTo(vs.get("value").asDouble() / vs.get("peerValue").asDouble(), within(0.002));
            // our own figures and the pooled latencies, as in a single run
            assertThat(value(report, rate)).isEqualTo(vs.get("value").asDouble());
            assertThat(value(report, name + " p99" + pooled)).isGreaterThanOrEqualTo(value(report, name + " p50" + pooled));
            assertThat(comparison(report, name + " p99" + pooled).get("peerValue").asDouble()).isPositive();
            assertThat(run.out()).contains("  vs axon: " + rate);
        }
        assertThat(run.out()).contains("100 events per append workload (the paired ones: at most 100 per trial)",
                "6 paired trials per workload in ABBA order");
        // the serialised strategy is ours only: single runs, no peer
        assertThat(report.get("figures")).anyMatch(f -> f.get("name").asText().startsWith("postgres[serialised]"))
                .noneMatch(f -> f.get("name").asText().startsWith("postgres[serialised]") && f.has("peer"));
    }

    @Test
    @Tag("slow")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void anAppendShapePairsOnlyThatWorkloadAndImpliesTheAppendsGroup() throws Exception {
        // No --only: --append-shape implies the appends, so no read or catch-up figures either.
        Run run = run("--backend", "postgres", "--vs", "axon", "--pairs", "2", "--events", "100",
                "--append-shape", "1x4x10000", "--position-strategy", "transaction_id",
                "--pg-url", TestPostgres.jdbcUrl(), "--json");

        String name = PG + "1 event/append, 10000 streams, 4 threads";
        assertThat(trials(run.err())).containsOnlyKeys(name);
        assertThat(trials(run.err()).get(name)).extracting(Trial::side).containsExactly("ours", "axon", "axon", "ours");
        JsonNode report = run.json();
        assertThat(report.get("figures")).isNotEmpty().allMatch(f -> f.get("name").asText().startsWith(name),
                "only the selected workload's figures, and no serialised strategy");
    }

    @Test
    @Tag("slow")
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void onePairIsTheSingleRunWithItsPlainRatioAndNoVerdict() throws Exception {
        Run run = run("--backend", "postgres", "--only", "appends", "--vs", "axon", "--pairs", "1", "--events", "100",
                "--pg-url", TestPostgres.jdbcUrl(), "--json");

        JsonNode report = run.json();
        assertThat(report.has("pairs")).isFalse();
        assertThat(trials(run.err())).isEmpty();
        assertThat(run.out()).contains("100 events per append workload,").doesNotContain("per trial");
        for (String name : WORKLOADS) {
            JsonNode vs = comparison(report, name);
            assertThat(vs.fieldNames()).toIterable().containsExactly("name", "unit", "value", "peer", "peerValue", "ratio");
            assertThat(vs.get("ratio").asDouble())
                    .isCloseTo(vs.get("value").asDouble() / vs.get("peerValue").asDouble(), within(0.01));
        }
    }

    @Test
    void thePairedRowsVerdictComesFromTheIntervalOfThePairsNotFromTheMedians() throws Exception {
        // Ours is ahead in the medians (1,100 against 1,000) but loses 2 of 6 rounds: the interval straddles 1x.
        PairedRatio mixed = new PairedRatio(List.of(1100.0, 1100.0, 900.0, 1100.0, 900.0, 1100.0),
                List.of(1000.0, 1000.0, 1000.0, 1000.0, 1000.0, 1000.0));
        PairedRatio ahead = new PairedRatio(List.of(1050.0, 1100.0, 1020.0, 1080.0, 1030.0),
                List.of(1000.0, 1000.0, 1000.0, 1000.0, 1000.0));
        PairedRatio behind = new PairedRatio(List.of(950.0, 900.0, 980.0, 920.0, 970.0),
                List.of(1000.0, 1000.0, 1000.0, 1000.0, 1000.0));
        PairedRatio tooFew = new PairedRatio(List.of(1500.0, 1600.0), List.of(1000.0, 1000.0));

        assertThat(verdict(mixed)).isEqualTo("undecided");
        assertThat(verdict(ahead)).isEqualTo("above");
        assertThat(verdict(behind)).isEqualTo("below");
        assertThat(verdict(tooFew)).as("2 pairs are no 90%% interval").isEqualTo("undecided");
        JsonNode row = new ObjectMapper().readTree(EventStoreBench.pairedJson("w", ahead, List.of(1, 2, 3, 4, 5), 10, 25).toString());
        assertThat(row.get("met").asBoolean()).isTrue();
        assertThat(row.get("ratio").asDouble()).isEqualTo(1.05);
        assertThat(row.get("value").asDouble()).isEqualTo(1050.0);
        assertThat(row.get("paired").get("ratio_low").asDouble()).isEqualTo(1.02);
        assertThat(row.get("paired").get("ratio_high").asDouble()).isEqualTo(1.1);
        assertThat(row.get("trial_events")).hasSize(5);
        // as bench log's paired rows (Report.json): the verdict in the target's text, the ratio of the medians
        assertThat(row.get("target").asText()).isEqualTo(">= 1x (above)");
        assertThat(row.get("ratio_of_medians").asDouble()).isEqualTo(1.05);
        assertThat(row.fieldNames()).toIterable().filteredOn(f -> !List.of("peerValue").contains(f))
                .allMatch(f -> f.equals(f.toLowerCase(java.util.Locale.ROOT)), "one naming style: snake_case");
        assertThat(EventStoreBench.pairedLine("w", ahead))
                .contains("x1.05 [1.02-1.10] min-max 1.02-1.10, 5 pairs", ">= 1x: above");
        assertThat(EventStoreBench.pairedLine("w", mixed)).endsWith(">= 1x: undecided");
    }

    @Test
    void aTrialAimsAtItsLengthAtTheSlowerSidesRateWithinTheFloorAndTheCap() {
        assertThat(EventStoreBench.trialEvents(2_000, 1, 20_000)).isEqualTo(3_000);
        assertThat(EventStoreBench.trialEvents(100_000, 10, 20_000)).as("at most --events").isEqualTo(20_000);
        assertThat(EventStoreBench.trialEvents(50, 1, 20_000)).as("a slow warm-up still measures")
                .isEqualTo(EventStoreBench.MIN_TRIAL_EVENTS);
        assertThat(EventStoreBench.trialEvents(2_000, 1, 100)).as("--events below the floor").isEqualTo(100);
        assertThat(EventStoreBench.trialEvents(2_005, 10, 20_000)).as("whole appends").isEqualTo(3_000);
        assertThat(EventStoreBench.trialEvents(1, 10, 5)).as("one append at least").isEqualTo(10);
    }

    @Test
    void aWarmUpIsWholeAppendsSoItsRateCountsTheEventsAppended() {
        // Regression: --events 5555 asked 1,111 events of 10-event appends, 1,110 were appended, and the rate divided
        // by 1,111.
        assertThat(EventStoreBench.warmEvents(10, 1, 5_555)).isEqualTo(1_110);
        assertThat(EventStoreBench.warmEvents(10, 4, 20_000)).as("at most 2,000").isEqualTo(2_000);
        assertThat(EventStoreBench.warmEvents(10, 1, 5)).as("one append at least").isEqualTo(10);
        assertThat(EventStoreBench.warmEvents(1, 1, 5_555)).isEqualTo(1_111);
    }

    @Test
    void aWarmUpGivesEveryWriterSeveralAppendsSoTheFirstRoundIsNotStillWarmingUp() {
        // 2,000 events were 3 appends per writer of the 64-writer workload, whose first round then ran far below
        // the rest (0.25x Axon's once).
        assertThat(EventStoreBench.warmEvents(10, 64, 100_000))
                .isEqualTo(64 * 10 * EventStoreBench.WARM_APPENDS_PER_WRITER);
        assertThat(EventStoreBench.warmEvents(10, 64, 20_000)).as("within --events").isEqualTo(20_000);
        assertThat(EventStoreBench.warmEvents(1, 4, 20_000)).as("the 2,000 when that is more").isEqualTo(2_000);
    }

    private static String verdict(PairedRatio paired) {
        return EventStoreBench.pairedJson("w", paired, List.of(), 0, 0).get("paired").get("verdict").asText();
    }

    /** One trial's progress line: which side ran it, in which round (from 1), with how many events. */
    private record Trial(String side, int round, int events) {
    }

    /** Per workload, its trials in the order they ran, from the progress lines on stderr. */
    private static Map<String, List<Trial>> trials(String err) {
        Pattern line = Pattern.compile("^\\[bench\\] (ours|axon) +(.+): [0-9,.]+ events/s "
                + "\\(round (\\d+) of \\d+, ([0-9,]+) events\\)$", Pattern.MULTILINE);
        Map<String, List<Trial>> trials = new LinkedHashMap<>();
        Matcher m = line.matcher(err);
        while (m.find()) {
            trials.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(new Trial(m.group(1),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4).replace(",", ""))));
        }
        return trials;
    }

    private static JsonNode comparison(JsonNode report, String name) {
        for (JsonNode f : report.get("figures")) {
            if (f.get("name").asText().equals(name) && f.has("peer")) {
                return f;
            }
        }
        throw new AssertionError("no comparison with axon named '" + name + "' in " + report);
    }

    private static double value(JsonNode report, String name) {
        for (JsonNode f : report.get("figures")) {
            if (f.get("name").asText().equals(name) && !f.has("peer")) {
                return f.get("value").asDouble();
            }
        }
        throw new AssertionError("no figure named '" + name + "' in " + report);
    }

    private static double[] doubles(JsonNode array) {
        double[] d = new double[array.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = array.get(i).asDouble();
        }
        return d;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private record Run(String out, String err) {
        /** The last stdout line: the JSON report. */
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            return new ObjectMapper().readTree(lines[lines.length - 1]);
        }
    }

    /** Runs the suite in this JVM with stdout and stderr captured (it prints to both). */
    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream previousOut = System.out;
        PrintStream previousErr = System.err;
        int exit;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            exit = new CommandLine(new EventStoreBench()).execute(args);
        } finally {
            System.setOut(previousOut);
            System.setErr(previousErr);
        }
        Run run = new Run(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        assertThat(exit).as("exit code; output:%n%s%n%s", run.out(), run.err()).isZero();
        return run;
    }
}
