package io.tributary.bench.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code bench eventstore --backend embedded --only paced} for real at a low rate and checks what the paced
 * workload reports (latency tail, CPU and allocation per append) and how many appends it measured, never the speed:
 * speed is for docs/benchmarks.md, taken on a quiet machine.
 */
@Tag("slow")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventStoreBenchPacedTest {

    private static final String NAME = "embedded paced 1 event/append at 2500 appends/s, 64 threads";

    @TempDir
    Path dir;

    @Test
    void reportsThePacedTailAndPerAppendCostsOfTheMeasuredPass() throws Exception {
        JsonNode report = run("--backend", "embedded", "--only", "paced", "--rate", "2500", "--paced-seconds", "2",
                "--json", "--dir", dir.toString());

        List<String> names = new ArrayList<>();
        report.get("figures").forEach(f -> names.add(f.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(figureNames(NAME));
        assertThat(value(report, NAME + " p50")).isPositive();
        assertThat(value(report, NAME + " p99")).isGreaterThanOrEqualTo(value(report, NAME + " p50"));
        assertThat(value(report, NAME + " process CPU per append")).isPositive();
        assertThat(value(report, NAME + " allocated per append")).isPositive();
        // the split by thread adds up to the process figure, and the appending threads did some of the work
        double split = 0;
        for (String kind : EventStoreBench.THREAD_KINDS) {
            split += value(report, NAME + " CPU per append: " + kind);
        }
        assertThat(split).isCloseTo(value(report, NAME + " process CPU per append"), org.assertj.core.data.Offset.offset(0.5));
        assertThat(value(report, NAME + " CPU per append: " + EventStoreBench.THREAD_KINDS.getFirst())).isPositive();
        assertThat(value(report, NAME + " CPU per append: log sync thread")).isPositive();
        // 4,992 measured appends (2 s at 2,500/s, a whole number per writer) in about 2 s: the rate is the measured
        // pass's own, so a timer that also ran over the warm-up would put it far below 2,500/s.
        assertThat(value(report, NAME)).isBetween(500.0, 5_000.0);
        // the stall attribution counts within the measured pass: those in GC pauses are some of the slow ones, and
        // the slowest was due inside the pass (2 s)
        assertThat(value(report, NAME + " appends over 2 ms whose wait overlapped a GC pause"))
                .isBetween(0.0, value(report, NAME + " appends over 2 ms"));
        assertThat(value(report, NAME + " appends over 2 ms")).isLessThanOrEqualTo(4_992.0);
        assertThat(value(report, NAME + " slowest append due at")).isBetween(0.0, 2.0);
        assertThat(value(report, NAME + " longest GC pause")).isLessThanOrEqualTo(value(report, NAME + " GC pause time"));
    }

    @Test
    void thePauseLogCountsG1sRemarkAndCleanupPausesButNoWholeConcurrentCycle() {
        // Regression: every bean named "...Concurrent..." was skipped, so G1's Remark and Cleanup pauses (reported by
        // "G1 Concurrent GC" as "end of concurrent GC pause") were never counted as pauses.
        assertThat(EventStoreBench.PauseLog.reportsPauses("G1 Concurrent GC")).isTrue();
        assertThat(EventStoreBench.PauseLog.reportsPauses("G1 Young Generation")).isTrue();
        assertThat(EventStoreBench.PauseLog.reportsPauses("ZGC Major Pauses")).isTrue();
        assertThat(EventStoreBench.PauseLog.reportsPauses("ZGC Major Cycles")).isFalse();
        assertThat(EventStoreBench.PauseLog.reportsPauses("Shenandoah Cycles")).isFalse();
    }

    @Test
    void thePauseLogSeesAStopTheWorldCollectionInItsWindowAndOnlyThere() throws Exception {
        EventStoreBench.PauseLog pauses = EventStoreBench.PauseLog.start();
        long before = System.nanoTime();
        long after;
        try {
            System.gc(); // a full, stop-the-world collection under every collector the JVM defaults to
            after = System.nanoTime();
            long deadline = after + TimeUnit.SECONDS.toNanos(10);
            while (pauses.count(before, Long.MAX_VALUE) == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10); // the JVM delivers GC notifications from its own thread, after the pause
            }
        } finally {
            pauses.stop();
        }
        // System.gc() returns once its pause is over, so the pause lies between the two readings; the mapping may
        // place it late by its notification's delay (50 ms allowed), and a wrong clock put it 870 ms early
        long slack = TimeUnit.MILLISECONDS.toNanos(50);
        assertThat(pauses.count(before, after + slack)).isPositive();
        assertThat(pauses.overlaps(before, after + slack)).isTrue();
        assertThat(pauses.overlaps(before - TimeUnit.SECONDS.toNanos(2), before - slack)).isFalse();
        // an hour before the window: no pause there
        long hour = TimeUnit.HOURS.toNanos(1);
        assertThat(pauses.overlaps(before - hour, before - hour + 1_000_000L)).isFalse();
    }

    @Test
    void baselineReportsTheHarnessAloneAfterTheStoreWithTheSameFigures() throws Exception {
        JsonNode report = run("--backend", "embedded", "--only", "paced", "--rate", "2500", "--paced-seconds", "1",
                "--paced-baseline", "--json", "--dir", dir.toString());

        String harness = "harness only (no-op store) paced 1 event/append at 2500 appends/s, 64 threads";
        List<String> names = new ArrayList<>();
        report.get("figures").forEach(f -> names.add(f.get("name").asText()));
        List<String> expected = new ArrayList<>(figureNames(NAME));
        expected.addAll(figureNames(harness));
        assertThat(names).containsExactlyElementsOf(expected);
        // the store's appends allocate (an event, its encoding, the log batch); the no-op ones only the harness's
        assertThat(value(report, NAME + " allocated per append"))
                .isGreaterThan(value(report, harness + " allocated per append"));
    }

    @Test
    void platformCallersMeasureTheSameSlotsWithNoPacerAndCountTheirOwnCpu() throws Exception {
        JsonNode report = run("--backend", "embedded", "--only", "paced", "--rate", "2500", "--paced-seconds", "2",
                "--paced-platform-callers", "--json", "--dir", dir.toString());

        String name = "embedded, platform callers, paced 1 event/append at 2500 appends/s, 64 threads";
        List<String> names = new ArrayList<>();
        report.get("figures").forEach(f -> names.add(f.get("name").asText()));
        assertThat(names).containsExactlyElementsOf(figureNames(name));
        assertThat(value(report, name)).isBetween(500.0, 5_000.0);
        assertThat(value(report, name + " p99")).isGreaterThanOrEqualTo(value(report, name + " p50"));
        // no pacer: the callers' own sleeps are in their CPU, which ended with the pass and is still counted
        assertThat(value(report, name + " CPU per append: timers (virtual-thread sleeps, pacer)")).isZero();
        assertThat(value(report, name + " CPU per append: " + EventStoreBench.THREAD_KINDS.getFirst())).isPositive();
        double split = 0;
        for (String kind : EventStoreBench.THREAD_KINDS) {
            split += value(report, name + " CPU per append: " + kind);
        }
        assertThat(split).isCloseTo(value(report, name + " process CPU per append"), org.assertj.core.data.Offset.offset(0.5));
    }

    @Test
    void rejectsPacedSecondsBelowOne() throws Exception {
        assertThat(new CommandLine(new EventStoreBench()).execute("--backend", "embedded", "--only", "paced",
                "--paced-seconds", "0", "--dir", dir.toString())).isEqualTo(2);
    }

    /** What one paced pass reports, in order. */
    private static List<String> figureNames(String name) {
        List<String> names = new ArrayList<>(List.of(name, name + " p50", name + " p99", name + " p99.9",
                name + " process CPU per append", name + " allocated per append", name + " appends over 2 ms",
                name + " appends over 2 ms whose wait overlapped a GC pause", name + " slowest append",
                name + " slowest append due at", name + " GC pauses", name + " GC pause time",
                name + " longest GC pause"));
        for (String kind : EventStoreBench.THREAD_KINDS) {
            names.add(name + " CPU per append: " + kind);
        }
        return names;
    }

    private static double value(JsonNode report, String name) {
        for (JsonNode f : report.get("figures")) {
            if (f.get("name").asText().equals(name)) {
                return f.get("value").asDouble();
            }
        }
        throw new AssertionError("no figure named '" + name + "' in " + report);
    }

    /** Runs the suite in this JVM with stdout captured (it prints there); the last line is its JSON report. */
    private static JsonNode run(String... args) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            exit = new CommandLine(new EventStoreBench()).execute(args);
        } finally {
            System.setOut(previous);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("exit code; output:%n%s", out).isZero();
        String[] lines = out.strip().split("\n");
        return new ObjectMapper().readTree(lines[lines.length - 1]);
    }
}
