package io.tributary.bench.pipeline;

import io.tributary.bench.internal.EmbeddedSettings;
import io.tributary.bench.internal.Figure;
import io.tributary.bench.internal.Figure.Verdict;
import io.tributary.bench.internal.KafkaClientsClient;
import io.tributary.bench.internal.KafkaUnderTest;
import io.tributary.bench.internal.Machine;
import io.tributary.bench.internal.OutputOptions;
import io.tributary.bench.internal.Report;
import io.tributary.bench.internal.ScratchDir;
import io.tributary.bench.pipeline.PipelineWorkloads.Latency;
import io.tributary.bench.pipeline.PipelineWorkloads.Throughput;
import io.tributary.log.Durability;
import io.tributary.log.EventLogs;
import io.tributary.log.ProducerConfig;
import io.tributary.processing.ProcessorConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tributary bench pipeline} (issue 5, "Benchmarks"): produce, process with a no-op handler, commit, end to end,
 * with batching on ({@code Processor.startBatched}) and off ({@code Processor.start}); throughput flat out and latency
 * at a fixed open-loop rate. Runs our processor on the embedded engine and on the Kafka backend, and a plain
 * kafka-clients poll loop doing the same work against the same in-JVM Kafka broker, in the same run, and prints the
 * ratios. Targets (embedded, 2 cores): at least 1,000,000 events/s with batching; e2e p99 under 10 ms at 100,000
 * events/s. Progress goes to stderr; with {@code --json} the last stdout line is one JSON object. Exit code 1 if a
 * workload failed (the others are still reported). Workloads: {@link PipelineWorkloads}; figures and recorded results:
 * {@code docs/benchmarks.md}.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark the processing runtime end to end: produce -> process (no-op handler) -> commit, "
                + "batching on and off; throughput and e2e latency at a fixed rate; on the embedded engine and on "
                + "Kafka, beside a plain kafka-clients poll loop on the same broker.",
                "A full run takes about 3 minutes; --quick about 40 s. Figures are recorded in docs/benchmarks.md."})
public final class PipelineBenchCommand implements Callable<Integer> {

    /** Handler modes: one batch handler call per micro-batch, or one call per event. */
    public enum Mode { batched, per_event }

    static final double THROUGHPUT_TARGET = 1_000_000;
    static final double P99_TARGET_US = 10_000;
    static final String PEER = "kafka-clients poll loop";
    static final String OURS_ON_KAFKA = "ours on the Kafka backend";

    @Spec
    @Nullable CommandSpec spec;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = "--quick", description = "A short smoke run: 1 s workloads, 0.5 s warm-up.")
    boolean quick;

    @Option(names = "--embedded-only", description = "Measure only our processor on the embedded engine (no Kafka "
            + "broker, no ratios).")
    boolean embeddedOnly;

    @Option(names = "--modes", split = ",", paramLabel = "MODE",
            description = "Handler modes to run: batched, per_event (default: both).")
    List<Mode> modes = new ArrayList<>(List.of(Mode.batched, Mode.per_event));

    @Option(names = "--seconds", paramLabel = "S", description = "Producing time of a throughput run (default: 5; quick: 1).")
    @Nullable Double seconds;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Warm-up: an unmeasured throughput run per "
            + "system and mode, and the unrecorded start of each latency run (default: 2; quick: 0.5).")
    @Nullable Double warmupSeconds;

    @Option(names = "--latency-seconds", paramLabel = "S", description = "Recorded time of a latency run "
            + "(default: 5; quick: 1).")
    @Nullable Double latencySeconds;

    @Option(names = "--rate", paramLabel = "N", description = "Events/s of the latency runs, open loop (default: 100000).")
    int rate = 100_000;

    @Option(names = "--partitions", paramLabel = "N", description = "Partitions per topic (default: 4).")
    int partitions = 4;

    @Option(names = "--keys", paramLabel = "N", description = "Distinct record keys, round robin (default: 1000).")
    int keys = 1000;

    @Option(names = "--size", paramLabel = "BYTES", description = "Value size; the first 8 bytes are the stamp (default: 100).")
    int size = 100;

    @Option(names = "--produce-batch", paramLabel = "N", description = "Records per producer call in the throughput "
            + "runs: 1 appends one at a time; more hands them to the producer together (LogProducer.appendAll on ours, "
            + "N sends on the poll loop's KafkaProducer) (default: 500).")
    int produceBatch = 500;

    @Option(names = "--fsync", paramLabel = "MODE", description = "Topic durability: never (page cache; stock Kafka) "
            + "or always (embedded group commit; Kafka flush.messages=1) (default: never).")
    String fsync = "never";

    @Option(names = "--commit-interval-ms", paramLabel = "MS", description = "How often progress is committed, by "
            + "our processor and by the poll loop alike (default: 100).")
    long commitIntervalMs = 100;

    @Option(names = "--batch-events", paramLabel = "N", description = "Processor maxBatchEvents (default: 500).")
    int batchEvents = 500;

    @Option(names = "--batch-wait-ms", paramLabel = "MS", description = "Processor maxBatchWait (default: 5).")
    long batchWaitMs = 5;

    @Option(names = "--max-buffered", paramLabel = "N", description = "Processor maxBufferedPerPartition (default: 1000).")
    int maxBuffered = 1000;

    @Option(names = "--concurrency", paramLabel = "N", description = "Processor concurrencyPerPartition (default: 16).")
    int concurrency = 16;

    @Option(names = "--max-mib", paramLabel = "MIB", description = "Most MiB of values per throughput run, to bound "
            + "disk use (default: 2048).")
    long maxMib = 2048;

    @Option(names = "--timeout-seconds", paramLabel = "S", description = "Longest wait for a consumer to join or to "
            + "commit everything before the workload counts as failed (default: 120).")
    long timeoutSeconds = 120;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Use this Kafka broker instead of starting one in this JVM.")
    @Nullable String bootstrapServers;

    @Option(names = "--dir", paramLabel = "DIR", description = "Scratch folder for the embedded log and the broker "
            + "(default: a new folder under java.io.tmpdir, deleted afterwards).")
    @Nullable Path dir;

    private final Map<String, Throughput> throughputs = new LinkedHashMap<>();
    private final Map<String, Latency> latencies = new LinkedHashMap<>();
    private final List<String> errors = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        CommandSpec sp = Objects.requireNonNull(spec, "picocli injects the spec");
        PrintWriter out = sp.commandLine().getOut();
        PrintWriter err = sp.commandLine().getErr();
        List<String> problems = problems();
        if (!problems.isEmpty()) {
            err.println("Invalid options for 'bench pipeline': " + String.join("; ", problems) + ".");
            err.println("Run 'tributary bench pipeline --help' for every option and its default.");
            return sp.exitCodeOnInvalidInput();
        }
        Durability durability = Durability.parse(fsync);
        PipelineWorkloads.Settings settings = new PipelineWorkloads.Settings(partitions, keys, size,
                duration(seconds, 5, 1), duration(warmupSeconds, 2, 0.5), duration(latencySeconds, 5, 1), rate,
                maxMib * 1024 * 1024, Duration.ofSeconds(timeoutSeconds), produceBatch);
        PipelineWorkloads workloads = new PipelineWorkloads(settings, err);
        int maxInFlight = Math.max(1, 16 * 1024 * 1024 / size);
        UnaryOperator<ProcessorConfig> tuning = c -> c.withCommitInterval(Duration.ofMillis(commitIntervalMs))
                .withBatching(batchEvents, c.maxBatchBytes(), Duration.ofMillis(batchWaitMs))
                .withMaxBufferedPerPartition(maxBuffered)
                .withConcurrencyPerPartition(concurrency);
        ScratchDir scratch = ScratchDir.open(dir, "tributary-bench-pipeline-", err);
        Path root = scratch.root();
        Instant started = Instant.now();
        Object loadAtStart = Machine.facts().get("loadavg");
        err.println("[bench] pipeline suite: modes=" + modes + ", partitions=" + partitions + ", keys=" + keys
                + ", size=" + size + " B, fsync=" + durability + ", rate=" + rate + "/s" + (quick ? ", quick" : "")
                + (embeddedOnly ? ", embedded only" : "") + "; " + Machine.describe());
        try {
            try (PipelineSystem embedded = new ProcessorPipeline(
                    EventLogs.open(EmbeddedSettings.forDir(root.resolve("embedded"))), "embedded", durability,
                    ProducerConfig.defaults(), ProducerConfig.defaults(), tuning, maxInFlight)) {
                for (Mode mode : modes) {
                    runAll(workloads, embedded, mode, err);
                }
            }
            if (!embeddedOnly) {
                runKafka(workloads, durability, tuning, maxInFlight, root, err);
            }
        } finally {
            scratch.close();
        }
        return report(out, settings, durability, started, loadAtStart);
    }

    /** Our processor on the Kafka backend and the plain poll loop, on one broker, alternating workload by workload. */
    private void runKafka(PipelineWorkloads workloads, Durability durability, UnaryOperator<ProcessorConfig> tuning,
                          int maxInFlight, Path root, PrintWriter err) {
        try {
            try (KafkaUnderTest kafka = KafkaUnderTest.open(bootstrapServers, root.resolve("kafka"));
                 PipelineSystem ours = new ProcessorPipeline(EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                         "tributary.log.kafka.bootstrap-servers", kafka.bootstrapServers())), "kafka-backend",
                         durability,
                         ProducerConfig.defaults().withLinger(Duration.ofMillis(5))
                                 .withProperties(KafkaClientsClient.THROUGHPUT_TUNING),
                         ProducerConfig.defaults().withProperties(KafkaClientsClient.LATENCY_TUNING),
                         tuning, maxInFlight);
                 PipelineSystem raw = new KafkaClientsPipeline(kafka.bootstrapServers(), durability,
                         Duration.ofMillis(commitIntervalMs), maxInFlight)) {
                for (Mode mode : modes) {
                    // Alternate the two Kafka systems workload by workload, so a change in machine load lands
                    // on both rather than on one.
                    warmUp(workloads, ours, mode, err);
                    warmUp(workloads, raw, mode, err);
                    throughput(workloads, ours, mode, err);
                    throughput(workloads, raw, mode, err);
                    latency(workloads, ours, mode, err);
                    latency(workloads, raw, mode, err);
                }
            }
        } catch (RuntimeException e) {
            // The broker or a client could not start: keep the embedded figures and report what failed.
            errors.add("kafka: could not run the Kafka systems: " + e);
            err.println("[bench] kafka: could not run the Kafka systems: " + e);
        }
    }

    private int report(PrintWriter out, PipelineWorkloads.Settings settings, Durability durability, Instant started,
                       @Nullable Object loadAtStart) {
        Report report = report(settings);
        out.println();
        out.print(report.table());
        if (!errors.isEmpty()) {
            out.println();
            out.println("Failed workloads (" + errors.size() + "):");
            errors.forEach(e -> out.println("  " + e));
        }
        if (output.json()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("suite", "pipeline");
            meta.put("systems", embeddedOnly ? List.of("embedded") : List.of("embedded", "kafka-backend", "kafka-clients"));
            meta.put("quick", quick);
            meta.put("started", started.toString());
            meta.put("elapsed_s", Duration.between(started, Instant.now()).toMillis() / 1000.0);
            Map<String, Object> machine = new LinkedHashMap<>(Machine.facts());
            machine.put("loadavg_at_start", loadAtStart);
            meta.put("machine", machine);
            meta.put("settings", settingsMap(settings, durability));
            meta.put("errors", errors);
            out.println(report.json(meta));
        }
        out.flush();
        return errors.isEmpty() ? 0 : 1;
    }

    private void runAll(PipelineWorkloads w, PipelineSystem sys, Mode mode, PrintWriter err) {
        warmUp(w, sys, mode, err);
        throughput(w, sys, mode, err);
        latency(w, sys, mode, err);
    }

    private void warmUp(PipelineWorkloads w, PipelineSystem sys, Mode mode, PrintWriter err) {
        Duration warmup = duration(warmupSeconds, 2, 0.5);
        if (warmup.isZero()) {
            return;
        }
        try {
            Throughput t = w.throughput(sys, mode == Mode.batched, warmup, false);
            err.printf(Locale.ROOT, "[bench] %-13s %-9s warm-up: %,.0f events/s e2e%n", sys.label(), mode, t.e2eRate());
        } catch (Exception e) {
            error(sys, mode, "warm-up", e, err);
        }
    }

    private void throughput(PipelineWorkloads w, PipelineSystem sys, Mode mode, PrintWriter err) {
        try {
            Throughput t = w.throughput(sys, mode == Mode.batched, duration(seconds, 5, 1), true);
            throughputs.put(key(sys.label(), mode), t);
            err.printf(Locale.ROOT, "[bench] %-13s %-9s throughput: %,d events, produced %,.0f/s, e2e %,.0f/s, "
                    + "drain %,.0f/s%n", sys.label(), mode, t.events(), t.produceRate(), t.e2eRate(), t.drainRate());
        } catch (Exception e) {
            error(sys, mode, "throughput", e, err);
        }
    }

    private void latency(PipelineWorkloads w, PipelineSystem sys, Mode mode, PrintWriter err) {
        try {
            Latency l = w.latency(sys, mode == Mode.batched);
            latencies.put(key(sys.label(), mode), l);
            Histogram h = l.histogram();
            err.printf(Locale.ROOT, "[bench] %-13s %-9s latency at %,.0f/s: p50 %.0f us, p99 %.0f us, p99.9 %.0f us, "
                            + "max %.0f us (%,d recorded)%n", sys.label(), mode, l.sentRate(),
                    h.getValueAtPercentile(50) / 1e3, h.getValueAtPercentile(99) / 1e3,
                    h.getValueAtPercentile(99.9) / 1e3, h.getMaxValue() / 1e3, h.getTotalCount());
        } catch (Exception e) {
            error(sys, mode, "latency", e, err);
        }
    }

    private void error(PipelineSystem sys, Mode mode, String what, Exception e, PrintWriter err) {
        String line = sys.label() + " " + mode + " " + what + " failed: " + e;
        errors.add(line);
        err.println("[bench] " + line);
    }

    /** Our figures (embedded, Kafka backend), each with the poll loop's figure and the ratio attached. */
    private Report report(PipelineWorkloads.Settings s) {
        Report report = new Report();
        for (Mode mode : modes) {
            for (String sys : List.of("embedded", "kafka-backend")) {
                Throughput t = throughputs.get(key(sys, mode));
                if (t != null) {
                    Figure e2e = Figure.of(name("e2e", mode, sys), "records/s", t.e2eRate(), String.format(Locale.ROOT,
                            "%,d events of %d B (%d keys, %d partitions) appended flat out by one producer thread, %s, "
                                    + "for %.1f s (it reached %,.0f/s) while the %s handler ran: events / (first append "
                                    + "to every event committed)", t.events(), s.size(), s.keys(), s.partitions(),
                            s.produceBatch() == 1 ? "one record per call" : s.produceBatch() + " records per call",
                            s.seconds().toMillis() / 1e3, t.produceRate(), mode));
                    if (mode == Mode.batched && sys.equals("embedded")) {
                        e2e = e2e.withTarget(new Verdict(">= 1000000 records/s", t.e2eRate() >= THROUGHPUT_TARGET));
                    }
                    report.add(e2e);
                    report.add(Figure.of(name("drain", mode, sys), "records/s", t.drainRate(), String.format(Locale.ROOT,
                            "a new group handles the same %,d records from the beginning: records / (first handled to "
                                    + "every event committed)", t.events())));
                }
                Latency l = latencies.get(key(sys, mode));
                if (l != null) {
                    Histogram h = l.histogram();
                    for (double pct : new double[] {50, 99, 99.9}) {
                        String stat = pct == 99.9 ? "p999" : "p" + (int) pct;
                        double us = h.getValueAtPercentile(pct) / 1e3;
                        Figure f = Figure.of(name("latency", mode, sys) + "." + stat, "us", us, String.format(Locale.ROOT,
                                "due time of the append (open loop, %,d/s offered, %,.0f/s sent) to the end of the %s "
                                        + "handler call, %,d events in %.1f s after a %.1f s warm-up%s", s.rate(),
                                l.sentRate(), mode, h.getTotalCount(), s.latencySeconds().toMillis() / 1e3,
                                s.warmup().toMillis() / 1e3, l.sent() < l.scheduled() ? String.format(Locale.ROOT,
                                        "; CUT OFF at twice the planned time: only %,d of %,d scheduled events were "
                                                + "sent, so this is a lower bound", l.sent(), l.scheduled()) : ""));
                        if (pct == 99 && sys.equals("embedded")) {
                            f = f.withTarget(Verdict.below(us, P99_TARGET_US, "us"));
                        }
                        report.add(f);
                    }
                }
            }
            compare(report, mode, "e2e", "");
            compare(report, mode, "drain", "");
            for (String stat : List.of(".p50", ".p99", ".p999")) {
                compare(report, mode, "latency", stat);
            }
        }
        return report;
    }

    /** Attaches the poll loop's figure to both of ours, and the Kafka backend's to the embedded one. */
    private void compare(Report report, Mode mode, String workload, String stat) {
        double peer = value(workload, mode, "kafka-clients", stat);
        double onKafka = value(workload, mode, "kafka-backend", stat);
        if (!Double.isNaN(peer)) {
            report.compare(name(workload, mode, "embedded") + stat, PEER, peer);
            report.compare(name(workload, mode, "kafka-backend") + stat, PEER, peer);
        }
        if (!Double.isNaN(onKafka)) {
            report.compare(name(workload, mode, "embedded") + stat, OURS_ON_KAFKA, onKafka);
        }
    }

    private double value(String workload, Mode mode, String sys, String stat) {
        if (workload.equals("latency")) {
            Latency l = latencies.get(key(sys, mode));
            if (l == null) {
                return Double.NaN;
            }
            double pct = switch (stat) {
                case ".p50" -> 50;
                case ".p99" -> 99;
                default -> 99.9;
            };
            return l.histogram().getValueAtPercentile(pct) / 1e3;
        }
        Throughput t = throughputs.get(key(sys, mode));
        if (t == null) {
            return Double.NaN;
        }
        return workload.equals("e2e") ? t.e2eRate() : t.drainRate();
    }

    private static String name(String workload, Mode mode, String sys) {
        return workload + "." + mode.name().replace('_', '-') + "." + sys;
    }

    private static String key(String sys, Mode mode) {
        return sys + "/" + mode;
    }

    /** The figure names a run with these systems and modes reports (for tests). */
    static List<String> expectedFigures(List<Mode> modes, boolean withKafka) {
        List<String> names = new ArrayList<>();
        for (Mode mode : modes) {
            for (String sys : withKafka ? List.of("embedded", "kafka-backend") : List.of("embedded")) {
                names.add(name("e2e", mode, sys));
                names.add(name("drain", mode, sys));
                for (String stat : List.of("p50", "p99", "p999")) {
                    names.add(name("latency", mode, sys) + "." + stat);
                }
            }
        }
        return names;
    }

    /** Every problem with the options, all at once. */
    private List<String> problems() {
        List<String> problems = new ArrayList<>();
        if (modes.isEmpty()) {
            problems.add("--modes is empty; name batched, per_event or both");
        }
        if (rate < 1 || rate > 10_000_000) {
            problems.add("--rate " + rate + " must be between 1 and 10000000 events/s");
        }
        if (partitions < 1 || partitions > 1000) {
            problems.add("--partitions " + partitions + " must be between 1 and 1000");
        }
        if (keys < 1 || keys > 10_000_000) {
            problems.add("--keys " + keys + " must be between 1 and 10000000");
        }
        if (size < HandlerWork.STAMP_BYTES || size > 1_000_000) {
            problems.add("--size " + size + " must be between 8 and 1000000 bytes (values carry an 8-byte stamp)");
        }
        try {
            Durability.parse(fsync);
        } catch (RuntimeException e) {
            problems.add("--fsync '" + fsync + "' must be never or always");
        }
        if (fsync.startsWith("interval") && !embeddedOnly) {
            problems.add("--fsync " + fsync + " has no Kafka equivalent; use never or always, or add --embedded-only");
        }
        if (commitIntervalMs < 1) {
            problems.add("--commit-interval-ms " + commitIntervalMs + " must be at least 1");
        }
        if (batchEvents < 1) {
            problems.add("--batch-events " + batchEvents + " must be at least 1");
        }
        if (batchWaitMs < 0) {
            problems.add("--batch-wait-ms " + batchWaitMs + " must not be negative");
        }
        if (maxBuffered < 1) {
            problems.add("--max-buffered " + maxBuffered + " must be at least 1");
        }
        if (concurrency < 1) {
            problems.add("--concurrency " + concurrency + " must be at least 1");
        }
        if (produceBatch < 1 || produceBatch > 100_000) {
            problems.add("--produce-batch " + produceBatch + " must be between 1 and 100000");
        }
        if (maxMib < 1) {
            problems.add("--max-mib " + maxMib + " must be at least 1");
        }
        if (timeoutSeconds < 1) {
            problems.add("--timeout-seconds " + timeoutSeconds + " must be at least 1");
        }
        checkSeconds(problems, "--seconds", seconds, false);
        checkSeconds(problems, "--warmup-seconds", warmupSeconds, true);
        checkSeconds(problems, "--latency-seconds", latencySeconds, false);
        return problems;
    }

    private static void checkSeconds(List<String> problems, String option, @Nullable Double v, boolean zeroAllowed) {
        if (v != null && (v < 0 || (!zeroAllowed && v == 0) || v > 3600)) {
            problems.add(option + " " + v + " must be " + (zeroAllowed ? "0 or more" : "above 0") + " and at most 3600");
        }
    }

    private Duration duration(@Nullable Double given, double normal, double quickValue) {
        double s = given != null ? given : quick ? quickValue : normal;
        return Duration.ofNanos((long) (s * 1e9));
    }

    private Map<String, Object> settingsMap(PipelineWorkloads.Settings s, Durability durability) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("modes", modes.stream().map(Enum::name).toList());
        m.put("partitions", s.partitions());
        m.put("keys", s.keys());
        m.put("size", s.size());
        m.put("fsync", durability.toString());
        m.put("seconds", s.seconds().toMillis() / 1000.0);
        m.put("warmup_seconds", s.warmup().toMillis() / 1000.0);
        m.put("latency_seconds", s.latencySeconds().toMillis() / 1000.0);
        m.put("rate", s.rate());
        m.put("produce_batch", s.produceBatch());
        m.put("commit_interval_ms", commitIntervalMs);
        m.put("batch_events", batchEvents);
        m.put("batch_wait_ms", batchWaitMs);
        m.put("max_buffered_per_partition", maxBuffered);
        m.put("concurrency_per_partition", concurrency);
        m.put("max_mib_per_run", maxMib);
        return m;
    }

}
