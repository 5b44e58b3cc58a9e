package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.bench.internal.LogSuite.Measured;
import io.tributary.log.Durability;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the suite runs two clients side by side ({@code --backend kafka}): they take turns at going first, run by run,
 * and every throughput figure says what CPU it cost per record. Clients here are stand-ins that send nowhere, so the
 * test checks the suite's method, not any log.
 */
class LogSuiteTurnAboutTest {

    @TempDir
    Path dir;

    @Test
    void sideBySideRunsChangeWhichClientGoesFirstEveryRepeat() {
        List<String> appendRuns = new ArrayList<>();
        LogSuite suite = suite(3);

        suite.measureEach(List.of(new StandIn("ours", appendRuns), new StandIn("raw", appendRuns)), false, false);

        Map<String, List<String>> byWorkload = new LinkedHashMap<>();
        for (String run : appendRuns) {
            String[] who = run.split(" ", 2);
            byWorkload.computeIfAbsent(who[1], k -> new ArrayList<>()).add(who[0]);
        }
        assertThat(byWorkload).containsOnlyKeys("append-100B-p1-always", "append-100B-p1-never",
                "append-100B-p2-always", "append-100B-p2-never");
        // Three runs each, the turn carried from one workload to the next: ours, raw, ours first in the first
        // workload, then raw, ours, raw in the second, and so on.
        List<List<String>> orders = new ArrayList<>(byWorkload.values());
        for (int w = 0; w < orders.size(); w++) {
            assertThat(orders.get(w)).as("workload %d", w).containsExactlyElementsOf(w % 2 == 0
                    ? List.of("ours", "raw", "raw", "ours", "ours", "raw")
                    : List.of("raw", "ours", "ours", "raw", "raw", "ours"));
        }
    }

    @Test
    void withOneRunPerWorkloadTheSidesStillTakeTurnsAtGoingFirstFromWorkloadToWorkload() {
        List<String> appendRuns = new ArrayList<>();
        LogSuite suite = suite(1);

        suite.measureEach(List.of(new StandIn("ours", appendRuns), new StandIn("raw", appendRuns)), false, false);

        // Regression: the turn was counted per workload, so with one run each our side went first in every workload.
        List<String> firsts = new ArrayList<>();
        for (int run = 0; run < appendRuns.size(); run += 2) {
            firsts.add(appendRuns.get(run).split(" ", 2)[0]);
        }
        assertThat(firsts).containsExactly("ours", "raw", "ours", "raw");
    }

    @Test
    void sideBySideEveryMeasuredRunStartsAfterACollectionOfThePreviousRunsGarbage() {
        LogSuite suite = suite(1);
        long before = collections();

        suite.measureEach(List.of(new StandIn("ours", new ArrayList<>()), new StandIn("raw", new ArrayList<>())),
                false, false);

        // Four append workloads and one consume workload, each run once by each of the two clients.
        assertThat(collections() - before).isGreaterThanOrEqualTo(2 * (4 + 1));
    }

    @Test
    void holdsEachOfOurAppendFormsAgainstTheSameRawFigureAndRunsTheCallbackFormsAppendsOnly() {
        List<String> appendRuns = new ArrayList<>();
        LogSuite suite = suite(1);
        StandIn futures = new StandIn("ours", appendRuns);
        StandIn callbacks = new StandIn("ours-cb", appendRuns, "appendCb", true);
        StandIn raw = new StandIn("raw", appendRuns);

        List<Map<String, Measured>> each = suite.measureEach(List.of(futures, callbacks, raw), false, false);

        assertThat(each.get(1).keySet()).as("the callback form's figures: its append throughput runs only")
                .containsExactlyInAnyOrder("appendCb.100B.p1.always", "appendCb.100B.p1.never",
                        "appendCb.100B.p2.always", "appendCb.100B.p2.never");
        assertThat(each.get(0)).containsKeys("append.100B.p1.never", "consume.100B", "ack.100B.never.p50");
        assertThat(appendRuns).filteredOn(r -> r.startsWith("ours-cb ")).hasSize(4)
                .allSatisfy(r -> assertThat(r).contains("appendCb-100B"));

        suite.runKafkaBackend(List.of(futures, callbacks), raw);

        for (String workload : List.of(".100B.p1.always", ".100B.p1.never", ".100B.p2.always", ".100B.p2.never")) {
            Figure future = suite.report().get("append" + workload).orElseThrow();
            Figure callback = suite.report().get("appendCb" + workload).orElseThrow();
            assertThat(future.vs()).as("append%s has the raw figure", workload).hasSize(1);
            assertThat(callback.vs()).as("appendCb%s has the raw figure", workload).hasSize(1);
            assertThat(callback.vs().getFirst().peer()).isEqualTo(future.vs().getFirst().peer());
        }
        assertThat(suite.report().get("consume.100B").orElseThrow().vs()).hasSize(1);
    }

    private static long collections() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionCount).sum();
    }

    @Test
    void throughputFiguresReportTheProcessCpuOfEveryRunPerRecord() {
        LogSuite suite = suite(2);

        Map<String, Measured> figures = suite.measureEach(List.of(new StandIn("ours", new ArrayList<>())), false, false)
                .getFirst();

        assertThat(figures.get("append.100B.p1.never").description())
                .matches(".*median of 2 runs: .*; process CPU \\d+\\.\\d\\d / \\d+\\.\\d\\d us per record");
        assertThat(figures.get("consume.100B").description())
                .matches(".*median of 2 runs: .*; process CPU \\d+\\.\\d\\d / \\d+\\.\\d\\d us per record");
    }

    private LogSuite suite(int repeat) {
        Duration brief = Duration.ofMillis(20);
        return new LogSuite(new LogSuite.Settings(dir, List.of(100), 2, 1, 100, brief, brief, 100_000, brief, 1,
                Duration.ofMillis(1), 0, repeat, 1), new PrintWriter(new StringWriter()));
    }

    /**
     * A client that accepts every record at once and reads back 64 at a time; notes each append run it starts. Its
     * append figures are named {@code workload.*}; {@code throughputOnly} as {@link LogClient#appendThroughputOnly}.
     */
    private record StandIn(String label, List<String> appendRuns, String workload, boolean throughputOnly)
            implements LogClient {

        StandIn(String label, List<String> appendRuns) {
            this(label, appendRuns, "append", false);
        }

        @Override
        public String appendWorkload(int appendBatch) {
            return workload;
        }

        @Override
        public boolean appendThroughputOnly() {
            return throughputOnly;
        }

        @Override
        public boolean supports(Durability durability) {
            return !(durability instanceof Durability.Interval);
        }

        @Override
        public void createTopic(String topic, int partitions, Durability durability) {
            int workload = topic.indexOf("-append");
            if (workload > 0) {
                appendRuns.add(label + " " + topic.substring(workload + 1));
            }
        }

        @Override
        public String appendCalls() {
            return "nothing";
        }

        @Override
        public void deleteTopic(String topic) {
        }

        @Override
        public Sender newSender(Tuning tuning, int maxInFlight) {
            return new Sender() {
                @Override
                public void send(String topic, int partition, byte[] value) {
                }

                @Override
                public void sendAndWait(String topic, int partition, byte[] value) {
                }

                @Override
                public void flush() {
                }

                @Override
                public long failures() {
                    return 0;
                }

                @Override
                public Optional<Throwable> firstFailure() {
                    return Optional.empty();
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public Receiver newReceiver(String topic, int partitions) {
            return new Receiver() {
                @Override
                public int poll(Duration timeout, ValueSink sink) {
                    byte[] value = new byte[100];
                    for (int i = 0; i < 64; i++) {
                        sink.accept(value);
                    }
                    return 64;
                }

                @Override
                public void close() {
                }
            };
        }

        @Override
        public void close() {
        }
    }
}
