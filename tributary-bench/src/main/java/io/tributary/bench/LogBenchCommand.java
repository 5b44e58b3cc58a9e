package io.tributary.bench;

import io.tributary.bench.internal.EmbeddedSettings;
import io.tributary.bench.internal.EventLogClient;
import io.tributary.bench.internal.KafkaClientsClient;
import io.tributary.bench.internal.KafkaUnderTest;
import io.tributary.bench.internal.LogClient;
import io.tributary.bench.internal.LogSuite;
import io.tributary.bench.internal.LogWorkloads;
import io.tributary.bench.internal.Machine;
import io.tributary.bench.internal.OutputOptions;
import io.tributary.bench.internal.ScratchDir;
import io.tributary.log.EventLogs;
import io.tributary.log.ProducerConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code tributary bench log}: the event-log benchmark suite (issue 2 section 9, issue 3 "Benchmarks"). Measures our
 * embedded engine, and with {@code --vs} a real Kafka broker (in this JVM) and Chronicle Queue (in a child JVM) with
 * the same workloads in the same run; with {@code --backend kafka} our EventLog SPI on Kafka against raw
 * kafka-clients. Prints a table of figures, ratios and targets; with {@code --json} the last stdout line is one JSON
 * object holding every figure. Progress goes to stderr. Exit code 1 if any workload failed (the others are still
 * reported). See {@code docs/benchmarks.md} for the workloads and recorded results.
 *
 * <p><b>Method of {@code --backend kafka}</b> (issue 3: ours within 10% of raw kafka-clients' records/s). Both sides
 * run the same workload code ({@code LogWorkloads}) against the same broker, in paired trials ({@code --pairs}
 * rounds of one short trial per client in mirrored order, equal record counts within a round, each trial on a fresh
 * topic with a primed producer; see {@code LogSuite#measureEach} and docs/kafka.md): per row each side's median, the
 * median of the per-round ratios with a 90% interval, and a verdict that is "above" 0.9x only when the whole
 * interval is ({@code PairedRatio}). The same keyless
 * 100 B / 1 KiB values (one constant payload per thread, never modified), the same producer settings ({@code acks=all},
 * idempotence, {@code linger.ms=5}, {@code batch.size=65536}), the same bound of 16 MiB of unacknowledged values, and
 * the clock stops when every record is acknowledged ({@code flush()}). Each side hands records over with its own
 * API's bulk path: raw kafka-clients {@code send(record, callback)} per record (Kafka batches inside the producer);
 * ours {@code appendAll} of 64 {@code Record.wrapping} records per call (one future per call; records count against
 * the bound until the whole call is acknowledged, which holds ours to a tighter bound, never a looser one).
 * {@code --append-batch 1} measures ours with {@code append()} per record instead, each a {@code Record.wrapping} of
 * the constant payload: raw kafka-clients gets the payload as it is in a {@code ProducerRecord}, and
 * {@code Record.wrapping} is what our API's documentation tells a producer of a constant payload to use; a copying
 * {@code Record.of} would add a copy per record that the raw side does not make (it did in runs recorded before
 * this, whose {@code append.*} Kafka-backend figures were {@code Record.of}). With {@code --append-batch 1} ours runs
 * twice per workload, in turn with raw: {@code append.*} with the future-returning {@code append()} (and the caller's
 * completion stage on each future), and {@code appendCb.*} with the callback form
 * {@code append(topic, record, callback)} and one shared callback, as raw's {@code send(record, callback)}; both are
 * held against the same raw figure.
 *
 * <p><b>Figure names say how our side appended.</b> With {@code --append-batch 1} (the embedded default) the append
 * throughput figures are {@code append.<size>.p<n>.<fsync>}, measured with {@code append()} of one record per call
 * ({@code Record.of}, copying, on the embedded engine: the method of its recorded {@code append.*} figures;
 * {@code Record.wrapping} on Kafka, see above; the figure's description says which). With
 * {@code --append-batch N > 1} (the {@code --backend kafka} default, 64) they are {@code appendAll<N>.<size>...},
 * e.g. {@code appendAll64.100B.p1.never}: {@code appendAll()} of {@code N} {@code Record.wrapping} (non-copying)
 * records per call, so a bulk figure is never read as, or compared with, a per-record one. The peers' figures
 * (raw kafka-clients, Kafka, Chronicle Queue) attach to whichever name our side has. {@code --append-batch} is at
 * most 64 and at most the in-flight bound of the largest size ({@code 16 MiB / size} records); without the option,
 * the Kafka default of 64 is lowered to that bound for sizes above 262,144 B.
 */
@Command(name = "log", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark the event log: append and consume throughput, ack and produce-to-consume latency, "
                + "start-up time and memory; optionally side by side with Kafka or Chronicle Queue.",
                "A full run takes a few minutes; --quick about 30 s. Figures are recorded in docs/benchmarks.md."})
public final class LogBenchCommand implements Callable<Integer> {

    /**
     * With {@code --backend kafka}, the default seconds of the warm-up trial that sets a workload's record count per
     * trial: short trials, many of them, pair better on a noisy machine than a few long runs, and keep a full run
     * within about 6 minutes.
     */
    static final double KAFKA_TRIAL_SECONDS = 1;

    /** The peers {@code --vs} accepts. */
    public enum Peer { kafka, chronicle }

    /** The backends {@code --backend} accepts. */
    public enum Backend { embedded, kafka }

    @Spec
    @Nullable CommandSpec spec;

    @Mixin
    OutputOptions output = new OutputOptions();

    @Option(names = "--vs", paramLabel = "PEER", description = "Also run a peer in the same run and print ratios: "
            + "kafka (a real Kafka 4 broker in this JVM, acks=all) or chronicle (Chronicle Queue in a child JVM). Repeatable.")
    List<Peer> vs = new ArrayList<>();

    @Option(names = "--backend", paramLabel = "BACKEND", defaultValue = "embedded",
            description = "Log backend to measure: embedded (default) or kafka (our SPI on Kafka vs raw kafka-clients "
                    + "on the same broker).")
    Backend backend = Backend.embedded;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
            description = "Use this Kafka broker instead of starting one in this JVM (for --vs kafka / --backend kafka).")
    @Nullable String bootstrapServers;

    @Option(names = "--quick", description = "A ~30 s smoke run: short durations, one start-up run.")
    boolean quick;

    @Option(names = "--dir", paramLabel = "DIR", description = "Scratch folder for logs, queues and the broker "
            + "(default: a new folder under java.io.tmpdir, deleted afterwards).")
    @Nullable Path dir;

    @Option(names = "--sizes", split = ",", paramLabel = "BYTES", description = "Value sizes (default: 100,1024).")
    List<Integer> sizes = new ArrayList<>(List.of(100, 1024));

    @Option(names = "--partitions", paramLabel = "N", description = "The 'several partitions' count (default: 6).")
    int partitions = 6;

    @Option(names = "--threads", paramLabel = "N", description = "Producer threads per throughput run (default: 1).")
    int threads = 1;

    @Option(names = "--append-batch", paramLabel = "N", description = "Records per call of our producer API in the "
            + "append throughput runs: 1 = append() of one record per call (a copying Record.of on the embedded "
            + "engine, a Record.wrapping on Kafka, as raw send() takes the payload as it is), figures named append.<size>... "
            + "(on Kafka also appendCb.<size>...: the callback form append(topic, record, callback), one shared callback); "
            + "N > 1 = appendAll() of N non-copying Record.wrapping records, figures named appendAll<N>.<size>... "
            + "(N at most " + LogWorkloads.RECORDS_PER_SEND_ALL + " and at most 16 MiB / the largest --sizes). "
            + "Raw kafka-clients always send() per record, its own bulk API "
            + "(it batches by linger.ms/batch.size); both sides get the same records, settings and in-flight bound, "
            + "and the clock stops at the last acknowledgement (default: " + LogWorkloads.RECORDS_PER_SEND_ALL
            + " with --backend kafka, lowered to that bound for large sizes; 1 for the embedded engine).")
    @Nullable Integer appendBatch;

    @Option(names = "--interval-ms", paramLabel = "MS", description = "Interval of the fsync=interval:<ms> mode (default: 100).")
    long intervalMs = 100;

    @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds per throughput run (default: 5; "
            + "with --backend kafka " + KAFKA_TRIAL_SECONDS + ", the length of the slowest client's warm-up trial, "
            + "which sets every trial's record count; quick: 0.3).")
    @Nullable Double seconds;

    @Option(names = "--warmup-seconds", paramLabel = "S", description = "Warm-up seconds (default: 2; quick: 0.3).")
    @Nullable Double warmupSeconds;

    @Option(names = "--max-mib", paramLabel = "MIB", description = "Most MiB of values per throughput run, to bound "
            + "disk use (default: 2048; quick: 256).")
    @Nullable Long maxMib;

    @Option(names = "--latency-seconds", paramLabel = "S", description = "Measured seconds per one-in-flight latency "
            + "run (default: 3; quick: 0.3).")
    @Nullable Double latencySeconds;

    @Option(names = "--rate", paramLabel = "N", description = "Records/s of the produce-to-consume runs (default: 20000).")
    int rate = 20_000;

    @Option(names = "--p2c-seconds", paramLabel = "S", description = "Measured seconds per produce-to-consume run "
            + "(default: 5; quick: 0.5).")
    @Nullable Double p2cSeconds;

    @Option(names = "--startup-runs", paramLabel = "N", description = "Child JVMs for the start-up figure; the median "
            + "is reported (default: 5; quick: 1; 0 skips it).")
    @Nullable Integer startupRuns;

    @Option(names = "--repeat", paramLabel = "N", description = "Runs of each throughput workload; the median is "
            + "reported (default: 1; use 3 or more for recorded figures on a noisy machine). Not used by --backend "
            + "kafka, which runs --pairs paired rounds instead.")
    int repeat = 1;

    @Option(names = "--pairs", paramLabel = "N", description = "With --backend kafka: paired rounds per throughput "
            + "workload, each one short trial of every client (raw kafka-clients and ours) in a mirrored order "
            + "(ABBA), after warm-up rounds until the JIT has settled (at most " + LogSuite.MAX_WARMUP_ROUNDS + "); "
            // "%%": picocli formats descriptions, and a bare percent sign made it print the text unformatted and warn
            + "reports each side's median, the median of the per-round ratios ours/raw with a 90%% interval, and "
            + "whether that interval clears 0.9x (default: "
            + LogSuite.DEFAULT_PAIRS + "; quick: 2).")
    @Nullable Integer pairs;

    @Option(names = "--aa", description = "With --backend kafka: an A/A check of the paired method instead of our "
            + "SPI: raw kafka-clients paired with a second raw kafka-clients client (figures rawB.<size>...), so the "
            + "spread of its ratios around 1.00x is what the method cannot resolve on this machine.")
    boolean aa;

    @Override
    public Integer call() throws Exception {
        CommandSpec sp = java.util.Objects.requireNonNull(spec, "picocli injects the spec");
        PrintWriter out = sp.commandLine().getOut();
        PrintWriter err = sp.commandLine().getErr();
        Set<Peer> peers = vs.isEmpty() ? EnumSet.noneOf(Peer.class) : EnumSet.copyOf(vs);
        List<String> problems = problems(peers);
        if (!problems.isEmpty()) {
            err.println("Invalid options for 'bench log': " + String.join("; ", problems) + ".");
            err.println("Run 'tributary bench log --help' for every option and its default.");
            return sp.exitCodeOnInvalidInput();
        }
        ScratchDir scratch = ScratchDir.open(dir, "tributary-bench-", err);
        Path root = scratch.root();
        LogSuite.Settings settings = new LogSuite.Settings(root, sizes, partitions, threads, intervalMs,
                seconds(seconds, backend == Backend.kafka ? KAFKA_TRIAL_SECONDS : 5, 0.3), seconds(warmupSeconds, 2, 0.3),
                (maxMib != null ? maxMib : quick ? 256 : 2048) * 1024 * 1024,
                seconds(latencySeconds, 3, 0.3), rate, seconds(p2cSeconds, 5, 0.5),
                startupRuns != null ? startupRuns : quick ? 1 : 5, repeat, appendBatch(backend),
                pairs != null ? pairs : quick ? 2 : LogSuite.DEFAULT_PAIRS);
        if (backend == Backend.kafka && repeat != 1) {
            err.println("[bench] note: --repeat " + repeat + " is not used with --backend kafka; it runs "
                    + settings.pairs() + " paired rounds per workload (--pairs)");
        }
        LogSuite suite = new LogSuite(settings, err);
        Instant started = Instant.now();
        Object loadAtStart = Machine.facts().get("loadavg");
        err.println("[bench] log suite: backend=" + backend + ", vs=" + peers + ", dir=" + root + (quick ? ", quick" : "")
                + "; " + Machine.describe());
        try {
            if (backend == Backend.embedded) {
                runEmbedded(suite, root, peers);
            } else {
                runKafkaBackend(suite, root);
            }
        } finally {
            scratch.close();
        }
        out.println();
        out.print(suite.report().table());
        if (!suite.errors().isEmpty()) {
            out.println();
            out.println("Failed workloads (" + suite.errors().size() + "):");
            suite.errors().forEach(e -> out.println("  " + e));
        }
        if (output.json()) {
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("suite", "log");
            meta.put("backend", backend.name());
            meta.put("vs", peers.stream().map(Enum::name).toList());
            meta.put("quick", quick);
            meta.put("started", started.toString());
            meta.put("elapsed_s", Duration.between(started, Instant.now()).toMillis() / 1000.0);
            Map<String, Object> machine = new LinkedHashMap<>(Machine.facts());
            machine.put("loadavg_at_start", loadAtStart);
            meta.put("machine", machine);
            meta.put("settings", settingsMap(settings));
            meta.put("errors", suite.errors());
            out.println(suite.report().json(meta));
        }
        out.flush();
        return suite.errors().isEmpty() ? 0 : 1;
    }

    /** Every problem with the options, all at once. */
    private List<String> problems(Set<Peer> peers) {
        List<String> problems = new ArrayList<>();
        if (aa && backend != Backend.kafka) {
            problems.add("--aa checks the paired method of --backend kafka; add --backend kafka");
        }
        if (backend == Backend.kafka && !peers.isEmpty()) {
            problems.add("--backend kafka already compares with raw kafka-clients on the same broker; drop --vs "
                    + peers.iterator().next());
        }
        if (sizes.isEmpty() || sizes.stream().anyMatch(s -> s < 16 || s > 1_000_000)) {
            problems.add("--sizes " + sizes + " must each be between 16 and 1000000 bytes (values carry a 16-byte stamp)");
        }
        if (partitions < 1 || partitions > 1000) {
            problems.add("--partitions " + partitions + " must be between 1 and 1000");
        }
        if (threads < 1 || threads > 64) {
            problems.add("--threads " + threads + " must be between 1 and 64");
        }
        if (appendBatch != null && (appendBatch < 1 || appendBatch > LogWorkloads.RECORDS_PER_SEND_ALL)) {
            problems.add("--append-batch " + appendBatch + " must be between 1 and " + LogWorkloads.RECORDS_PER_SEND_ALL);
        } else if (appendBatch != null && !sizes.isEmpty() && sizes.stream().allMatch(s -> s > 0)
                && appendBatch > inFlightBound()) {
            // One call's records all count against the bound: a call larger than it could never be let through whole.
            int largest = sizes.stream().mapToInt(Integer::intValue).max().orElseThrow();
            problems.add("--append-batch " + appendBatch + " is more than the " + inFlightBound() + " records that may "
                    + "be unacknowledged at once with --sizes " + largest + " (16 MiB of values / " + largest
                    + " B); use --append-batch " + inFlightBound() + " or less, or smaller --sizes");
        }
        if (intervalMs < 1) {
            problems.add("--interval-ms " + intervalMs + " must be at least 1");
        }
        if (rate < 1 || rate > 1_000_000) {
            problems.add("--rate " + rate + " must be between 1 and 1000000 records/s");
        }
        checkSeconds(problems, "--seconds", seconds);
        checkSeconds(problems, "--warmup-seconds", warmupSeconds);
        checkSeconds(problems, "--latency-seconds", latencySeconds);
        checkSeconds(problems, "--p2c-seconds", p2cSeconds);
        if (maxMib != null && maxMib < 1) {
            problems.add("--max-mib " + maxMib + " must be at least 1");
        }
        if (pairs != null && (pairs < 1 || pairs > 100)) {
            problems.add("--pairs " + pairs + " must be between 1 and 100");
        }
        if (repeat < 1 || repeat > 100) {
            problems.add("--repeat " + repeat + " must be between 1 and 100");
        }
        if (startupRuns != null && (startupRuns < 0 || startupRuns > 100)) {
            problems.add("--startup-runs " + startupRuns + " must be between 0 and 100");
        }
        return problems;
    }

    private static void checkSeconds(List<String> problems, String option, @Nullable Double v) {
        if (v != null && (v <= 0 || v > 3600)) {
            problems.add(option + " " + v + " must be above 0 and at most 3600");
        }
    }

    private void runEmbedded(LogSuite suite, Path root, Set<Peer> peers) throws Exception {
        try (LogClient embedded = new EventLogClient(EventLogs.open(EmbeddedSettings.forDir(root.resolve("embedded"))),
                "embedded", ProducerConfig.defaults(), ProducerConfig.defaults(), appendBatch(Backend.embedded))) {
            suite.runEmbedded(embedded);
        }
        if (peers.contains(Peer.chronicle)) {
            suite.runChroniclePeer();
        }
        if (peers.contains(Peer.kafka)) {
            try (KafkaUnderTest kafka = KafkaUnderTest.open(bootstrapServers, root.resolve("kafka"));
                 LogClient raw = new KafkaClientsClient(kafka.bootstrapServers())) {
                suite.runKafkaPeer(raw);
            }
        }
    }

    private void runKafkaBackend(LogSuite suite, Path root) throws Exception {
        if (aa) {
            try (KafkaUnderTest kafka = KafkaUnderTest.open(bootstrapServers, root.resolve("kafka"));
                 LogClient raw = new KafkaClientsClient(kafka.bootstrapServers());
                 LogClient twin = new KafkaClientsClient(kafka.bootstrapServers(), "kafka-clients-B", "rawB")) {
                suite.runKafkaBackend(twin, raw, kafka);
            }
            return;
        }
        try (KafkaUnderTest kafka = KafkaUnderTest.open(bootstrapServers, root.resolve("kafka"));
             LogClient raw = new KafkaClientsClient(kafka.bootstrapServers());
             LogClient ours = kafkaBackendClient(kafka, "tributary-kafka", EventLogClient.AppendForm.FUTURE)) {
            if (appendBatch(Backend.kafka) > 1) {
                suite.runKafkaBackend(ours, raw, kafka);
                return;
            }
            // One record per call: the future form (append.*) and the callback form (appendCb.*), each against the
            // same raw figures, taking turns with raw in every workload.
            try (LogClient callbacks = kafkaBackendClient(kafka, "tributary-kafka-cb", EventLogClient.AppendForm.CALLBACK)) {
                suite.runKafkaBackend(List.of(ours, callbacks), raw, kafka);
            }
        }
    }

    private EventLogClient kafkaBackendClient(KafkaUnderTest kafka, String label, EventLogClient.AppendForm form) {
        return new EventLogClient(EventLogs.open(Map.of(EventLogs.BACKEND, "kafka",
                "tributary.log.kafka.bootstrap-servers", kafka.bootstrapServers())), label,
                ProducerConfig.defaults().withClientId(KafkaUnderTest.BENCH_PRODUCER).withLinger(Duration.ofMillis(5))
                        .withProperties(KafkaClientsClient.THROUGHPUT_TUNING),
                ProducerConfig.defaults().withProperties(KafkaClientsClient.LATENCY_TUNING),
                appendBatch(Backend.kafka), EventLogClient.PerRecord.WRAPPING, form);
    }

    /**
     * Our side's records per producer call in throughput runs. On Kafka, {@code appendAll} is what a user of our API
     * with records to send in bulk calls, as {@code send()} per record is for a kafka-clients user. The embedded
     * engine keeps {@code append()} per record unless asked, so its figures compare with the recorded ones and with
     * peers (Chronicle Queue) that append one by one.
     */
    int appendBatch(Backend of) {
        if (appendBatch != null) {
            return appendBatch;
        }
        return of == Backend.kafka ? Math.min(LogWorkloads.RECORDS_PER_SEND_ALL, inFlightBound()) : 1;
    }

    /** Most records unacknowledged at once in a throughput run of the largest size (as {@code LogWorkloads} bounds it). */
    private int inFlightBound() {
        int largest = sizes.stream().mapToInt(Integer::intValue).filter(s -> s > 0).max().orElse(1);
        return LogWorkloads.maxInFlight(largest);
    }

    private Duration seconds(@Nullable Double given, double normal, double quickValue) {
        double s = given != null ? given : quick ? quickValue : normal;
        return Duration.ofNanos((long) (s * 1e9));
    }

    private Map<String, Object> settingsMap(LogSuite.Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sizes", s.sizes());
        m.put("partitions", s.partitions());
        m.put("threads", s.threads());
        m.put("append_batch", appendBatch(backend));
        m.put("interval_ms", s.intervalMs());
        m.put("seconds", s.seconds().toMillis() / 1000.0);
        m.put("warmup_seconds", s.warmup().toMillis() / 1000.0);
        m.put("max_mib_per_run", s.maxBytes() / (1024 * 1024));
        m.put("latency_seconds", s.latency().toMillis() / 1000.0);
        m.put("rate", s.rate());
        m.put("p2c_seconds", s.p2c().toMillis() / 1000.0);
        m.put("startup_runs", s.startupRuns());
        m.put("repeat", s.repeat());
        m.put("pairs", s.pairs());
        // An A/A run's figures carry the same names as a real run's (raw against a second raw client): say so.
        m.put("aa", aa);
        return m;
    }

}
