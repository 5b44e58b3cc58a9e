package io.tributary.bench.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.bench.internal.KafkaUnderTest.BrokerActivity;
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
 * How the suite runs two or three clients side by side ({@code --backend kafka}): paired rounds in mirrored order,
 * each trial of a workload the same record count from the same fresh state, and every throughput figure says what
 * CPU it cost per record. Clients here are stand-ins that send nowhere, so the
 * test checks the suite's method, not any log.
 */
class LogSuiteTurnAboutTest {

    @TempDir
    Path dir;

    @Test
    void sideBySideEachWorkloadRunsAWarmUpTrialOfEachClientThenRoundsInMirroredOrder() {
        List<String> appendRuns = new ArrayList<>();
        LogSuite suite = suite(1, 4);

        suite.measureEach(List.of(new StandIn("ours", appendRuns), new StandIn("raw", appendRuns)), false, false);

        Map<String, List<String>> byWorkload = new LinkedHashMap<>();
        for (String run : appendRuns) {
            String[] who = run.split(" ", 2);
            byWorkload.computeIfAbsent(who[1], k -> new ArrayList<>()).add(who[0]);
        }
        assertThat(byWorkload).containsOnlyKeys("append-100B-p1-always", "append-100B-p1-never",
                "append-100B-p2-always", "append-100B-p2-never");
        // The warm-up trials (not counted), then four rounds: AB, BA, BA, AB, so each side runs first, and last, in
        // half the rounds, and a drift within the block falls on both alike.
        for (List<String> order : byWorkload.values()) {
            assertThat(order).containsExactly("ours", "raw", "ours", "raw", "raw", "ours", "raw", "ours", "ours", "raw");
        }
    }

    @Test
    void threeClientsGoThroughEverySixOrdersInSixRounds() {
        java.util.Set<List<Integer>> orders = new java.util.HashSet<>();
        for (int round = 0; round < 6; round++) {
            orders.add(PairedRatio.roundOrder(3, round));
        }

        assertThat(orders).hasSize(6);
        assertThat(PairedRatio.roundOrder(3, 1)).as("an odd round mirrors the round before")
                .containsExactly(2, 1, 0);
    }

    @Test
    void theDefaultNumberOfRoundsPutsEveryClientFirstAndLastEquallyOftenWithTwoClientsAndWithThree() {
        // Regression: 10 rounds with three clients repeated rounds 0-3 in rounds 6-9, so one client ran first 4 times.
        for (int clients = 2; clients <= 3; clients++) {
            int[] first = new int[clients];
            int[] last = new int[clients];
            for (int round = 0; round < LogSuite.DEFAULT_PAIRS; round++) {
                List<Integer> order = PairedRatio.roundOrder(clients, round);
                first[order.get(0)]++;
                last[order.get(clients - 1)]++;
            }
            for (int c = 1; c < clients; c++) {
                assertThat(first[c]).as("%d clients: client %d first", clients, c).isEqualTo(first[0]);
                assertThat(last[c]).as("%d clients: client %d last", clients, c).isEqualTo(last[0]);
            }
        }
    }

    @Test
    void sideBySideEveryClientAppendsTheSameNumberOfRecordsWithinARoundAndEveryTrialIsKept() {
        Map<String, Long> sentPerTopic = new LinkedHashMap<>();
        LogSuite suite = suite(1, 3);
        StandIn ours = new StandIn("ours", new ArrayList<>(), "append", false, sentPerTopic);
        StandIn raw = new StandIn("raw", new ArrayList<>(), "append", false, sentPerTopic);

        List<Map<String, Measured>> each = suite.measureEach(List.of(ours, raw), false, false);

        // Per workload: 2 warm-up trials (time-bound, not counted; one may send nothing on a loaded machine), then 3
        // rounds of 2 trials, the two of a round appending the same count.
        Map<String, List<Long>> sent = new LinkedHashMap<>();
        sentPerTopic.forEach((topic, n) -> sent.computeIfAbsent(topic.replaceFirst("^bench-\\d+-", ""),
                k -> new ArrayList<>()).add(n));
        assertThat(sent).hasSize(4);
        for (List<Long> sends : sent.values()) {
            List<Long> rounds = sends.subList(sends.size() - 3 * 2, sends.size());
            for (int r = 0; r < 3; r++) {
                assertThat(rounds.get(2 * r)).as("round %d of %s", r + 1, sends).isEqualTo(rounds.get(2 * r + 1));
                assertThat(rounds.get(2 * r) % LogWorkloads.RECORDS_PER_SEND_ALL).isZero();
            }
        }
        assertThat(each.get(0).get("append.100B.p1.never").trials()).hasSize(3).allMatch(v -> v > 0);
        assertThat(each.get(0).get("append.100B.p1.never").cpuTrials()).hasSize(3);
        assertThat(each.get(1).get("consume.100B").trials()).hasSize(3).allMatch(v -> v > 0);
        assertThat(each.get(0).get("append.100B.p1.never").description()).contains("median of 3 paired trials of");
    }

    @Test
    void aTrialAppendsWhatTheSlowestClientAppendsInTheTrialTimeInWholeCallsWithinTheRecordBound() {
        Duration second = Duration.ofSeconds(1);

        assertThat(LogSuite.trialRecords(100_000, second, 10_000_000)).isEqualTo(100_032);
        assertThat(LogSuite.trialRecords(10, second, 10_000_000)).as("at least one call").isEqualTo(64);
        assertThat(LogSuite.trialRecords(1e9, second, 1_000)).as("within the bound").isEqualTo(960);
        assertThat(LogSuite.trialRecords(Double.MAX_VALUE, second, 1_000)).as("no rate known").isEqualTo(960);
    }

    @Test
    void sideBySideEveryMeasuredRunStartsAfterACollectionOfThePreviousRunsGarbage() {
        LogSuite suite = suite(1, 1);
        long before = collections();

        suite.measureEach(List.of(new StandIn("ours", new ArrayList<>()), new StandIn("raw", new ArrayList<>())),
                false, false);

        // Four append workloads, each a warm-up and one counted trial of each of the two clients, and one consume
        // in the counted trial of one of them.
        assertThat(collections() - before).isGreaterThanOrEqualTo(2 * (4 * 2) + 2);
    }

    @Test
    void holdsEachOfOurAppendFormsAgainstTheSameRawFigureAndRunsTheCallbackFormsAppendsOnly() {
        List<String> appendRuns = new ArrayList<>();
        LogSuite suite = suite(1, 3);
        StandIn futures = new StandIn("ours", appendRuns);
        StandIn callbacks = new StandIn("ours-cb", appendRuns, "appendCb", true);
        StandIn raw = new StandIn("raw", appendRuns);

        List<Map<String, Measured>> each = suite.measureEach(List.of(futures, callbacks, raw), false, false);

        assertThat(each.get(1).keySet()).as("the callback form's figures: its append throughput runs only")
                .containsExactlyInAnyOrder("appendCb.100B.p1.always", "appendCb.100B.p1.never",
                        "appendCb.100B.p2.always", "appendCb.100B.p2.never");
        assertThat(each.get(0)).containsKeys("append.100B.p1.never", "consume.100B", "ack.100B.never.p50");
        assertThat(appendRuns).filteredOn(r -> r.startsWith("ours-cb ")).hasSize(4 * (1 + 3))
                .allSatisfy(r -> assertThat(r).contains("appendCb-100B"));

        try (KafkaUnderTest external = KafkaUnderTest.open("localhost:9", dir)) {
            suite.runKafkaBackend(List.of(futures, callbacks), raw, external);
        }

        for (String workload : List.of(".100B.p1.always", ".100B.p1.never", ".100B.p2.always", ".100B.p2.never")) {
            Figure future = suite.report().get("append" + workload).orElseThrow();
            Figure callback = suite.report().get("appendCb" + workload).orElseThrow();
            assertThat(future.vs()).as("append%s has the raw figure", workload).hasSize(1);
            assertThat(callback.vs()).as("appendCb%s has the raw figure", workload).hasSize(1);
            assertThat(callback.vs().getFirst().peer()).isEqualTo(future.vs().getFirst().peer());
            assertThat(callback.vs().getFirst().paired()).as("appendCb%s paired with raw's trials", workload)
                    .isNotNull().extracting(PairedRatio::pairs).isEqualTo(3);
            assertThat(callback.vs().getFirst().paired().reference())
                    .isEqualTo(future.vs().getFirst().paired().reference());
        }
        assertThat(suite.report().get("consume.100B").orElseThrow().vs()).hasSize(1);
    }

    private static long collections() {
        return java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(java.lang.management.GarbageCollectorMXBean::getCollectionCount).sum();
    }

    @Test
    void throughputFiguresReportTheProcessCpuOfEveryRunPerRecord() {
        LogSuite suite = suite(2, 1);

        Map<String, Measured> figures = suite.measureEach(List.of(new StandIn("ours", new ArrayList<>())), false, false)
                .getFirst();

        assertThat(figures.get("append.100B.p1.never").description())
                .matches(".*median of 2 runs: .*; process CPU \\d+\\.\\d\\d / \\d+\\.\\d\\d us per record");
        assertThat(figures.get("consume.100B").description())
                .matches(".*median of 2 runs: .*; process CPU \\d+\\.\\d\\d / \\d+\\.\\d\\d us per record");
    }

    @Test
    void aFailedReadOfTheBrokersFiguresCostsTheTrialItsBrokerFiguresNotItsMeasurement() {
        StringWriter progress = new StringWriter();
        LogSuite suite = suite(1, 2, progress);
        // Every reading of a topic counts less than the one before: since() refuses the negative difference.
        Map<String, Long> readings = new java.util.HashMap<>();
        java.util.function.Function<String, Optional<BrokerActivity>> shrinking = topic -> {
            long n = 1_000_000 - readings.merge(topic, 1L, Long::sum);
            return Optional.of(new BrokerActivity(n, n, n, n, n, n, n));
        };

        List<Map<String, Measured>> each = suite.measureEach(List.of(new StandIn("ours", new ArrayList<>()),
                new StandIn("raw", new ArrayList<>())), false, false, shrinking);

        assertThat(suite.errors()).isEmpty();
        Measured append = each.get(0).get("append.100B.p1.never");
        assertThat(append.trials()).as("both rounds measured").hasSize(2).allMatch(v -> v > 0);
        assertThat(append.description()).doesNotContain("; broker");
        assertThat(progress.toString()).contains("[bench] WARNING ours append.100B.p1.never: no broker figures",
                "must not be negative");
    }

    @Test
    void ourRowsGiveTheirBrokerFiguresPairedRoundByRoundWithTheLastClients() {
        StringWriter progress = new StringWriter();
        LogSuite suite = suite(1, 2, progress);
        // A stand-in broker whose counts grow by each reading: ours' trials read as 2 records per batch, raw's as 1.
        Map<String, long[]> counts = new java.util.HashMap<>();
        java.util.function.Function<String, Optional<BrokerActivity>> meters = topic -> {
            long[] c = counts.computeIfAbsent(topic, t -> new long[1]);
            long perBatch = topic.contains("-ours-") ? 2 : 1;
            c[0] += 1_000;
            return Optional.of(new BrokerActivity(c[0], c[0] * perBatch, c[0] * perBatch * 110, 0, c[0] * 500,
                    c[0] * 100, c[0] * 200));
        };

        List<Map<String, Measured>> each = suite.measureEach(List.of(new StandIn("ours", new ArrayList<>(), "ours", false),
                new StandIn("raw", new ArrayList<>(), "raw", false)), false, false, meters);

        assertThat(each.get(0).get("ours.100B.p1.never").description()).contains(
                "; broker, medians: 2.0 records per partition batch",
                "; broker, paired medians minus raw: +1.0 records per partition batch, handlers -0.250 us, "
                        + "network -0.050 us, -100 B allocated per record (2 rounds)");
        assertThat(each.get(1).get("raw.100B.p1.never").description()).contains("; broker, medians: 1.0")
                .doesNotContain("paired medians minus");
    }

    @Test
    void aTrialPrintsTheProducersMetricsInTheirListedOrder() {
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (String name : KafkaUnderTest.PRODUCER_METRICS) {
            metrics.put(name, 1.0);
        }
        LogSuite.Trial trial = new LogSuite.Trial(new LogWorkloads.Throughput(1, 1, 1, Map.of()), null, null, metrics);

        String printed = LogSuite.requests(trial);

        assertThat(printed).startsWith("; producer: ");
        assertThat(List.of(printed.substring("; producer: ".length()).split(" ")))
                .filteredOn(word -> !word.equals("1.0")).containsExactlyElementsOf(KafkaUnderTest.PRODUCER_METRICS);
    }

    private LogSuite suite(int repeat, int pairs) {
        return suite(repeat, pairs, new StringWriter());
    }

    private LogSuite suite(int repeat, int pairs, StringWriter progress) {
        Duration brief = Duration.ofMillis(20);
        return new LogSuite(new LogSuite.Settings(dir, List.of(100), 2, 1, 100, brief, brief, 100_000, brief, 1,
                Duration.ofMillis(1), 0, repeat, 1, pairs, 1), new PrintWriter(progress, true));
    }

    /**
     * A client that accepts every record at once and reads back 64 at a time; notes each append run it starts. Its
     * append figures are named {@code workload.*}; {@code throughputOnly} as {@link LogClient#appendThroughputOnly}.
     */
    private record StandIn(String label, List<String> appendRuns, String workload, boolean throughputOnly,
                           Map<String, Long> sentPerTopic) implements LogClient {

        StandIn(String label, List<String> appendRuns) {
            this(label, appendRuns, "append", false, new LinkedHashMap<>());
        }

        StandIn(String label, List<String> appendRuns, String workload, boolean throughputOnly) {
            this(label, appendRuns, workload, throughputOnly, new LinkedHashMap<>());
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
                    if (topic.contains("-append")) {
                        sentPerTopic.merge(topic, 1L, Long::sum);
                    }
                    // A little work per record, so a time-bound trial ends with a count that is not a round number.
                    Thread.onSpinWait();
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
