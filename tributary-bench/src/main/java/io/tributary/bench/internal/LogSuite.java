package io.tributary.bench.internal;

import io.tributary.bench.internal.Figure.Verdict;
import io.tributary.bench.internal.LogWorkloads.Throughput;
import io.tributary.log.Durability;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeSet;
import org.HdrHistogram.Histogram;

/**
 * The {@code bench log} suite: measures a set of {@link LogClient}s with the same workloads and turns the results
 * into {@link Figure}s with targets and ratios. Workloads (names as in the report):
 * <ul>
 *   <li>{@code append.<size>.p<n>.<fsync>}: append throughput, keyless records, one producer, {@code threads}
 *       threads, for one and several partitions in each durability mode; named {@code appendAll<N>.<size>...}
 *       instead when our side hands records over {@code N > 1} per {@code appendAll} call
 *       ({@link Settings#appendBatch}, {@link #appendWorkload});</li>
 *   <li>{@code consume.<size>}: one consumer reading back the one-partition {@code fsync=never} topic;</li>
 *   <li>{@code fdatasync.100B}: raw append + {@code FileChannel.force(false)} in a loop, the disk's floor;</li>
 *   <li>{@code ack.100B.<fsync>}: append-to-acknowledgement with one append in flight;</li>
 *   <li>{@code p2c.100B.<fsync>.<block|spin>}: produce-to-consume at a fixed rate, in process;</li>
 *   <li>{@code startup.first_durable_append}: child JVM start to its first durable append;</li>
 *   <li>{@code memory.*}: this JVM's resident memory after the embedded workloads.</li>
 * </ul>
 * Failures of single workloads are collected in {@link #errors()} and the suite goes on.
 */
public final class LogSuite {

    /**
     * What to run and for how long.
     *
     * @param dir            scratch folder for every log, queue and broker of the run (same file system for all)
     * @param sizes          record value sizes in bytes
     * @param partitions     the "several partitions" count (the other is 1)
     * @param threads        producer threads per throughput run
     * @param intervalMs     the {@code fsync=interval:<ms>} mode's interval
     * @param seconds        measured time per throughput run
     * @param warmup         warm-up before measuring (per size and client, and before latency runs)
     * @param maxBytes       most value bytes appended per throughput run (bounds disk use)
     * @param latency        measured time per one-in-flight latency run
     * @param rate           records/s of the produce-to-consume runs
     * @param p2c            measured time per produce-to-consume run
     * @param startupRuns    child JVMs for the start-up figure (the median is reported)
     * @param repeat         runs of each throughput workload (the median is reported)
     * @param appendBatch    records per producer call of our side in the throughput runs (1: {@code append}); names
     *                       the append figures ({@link #appendWorkload})
     */
    public record Settings(Path dir, List<Integer> sizes, int partitions, int threads, long intervalMs,
                           Duration seconds, Duration warmup, long maxBytes, Duration latency, int rate,
                           Duration p2c, int startupRuns, int repeat, int appendBatch) {

        public Settings {
            sizes = List.copyOf(sizes);
            if (appendBatch < 1) {
                throw new IllegalArgumentException("appendBatch " + appendBatch + " must be at least 1");
            }
        }

        public List<Durability> modes() {
            return List.of(Durability.ALWAYS, new Durability.Interval(intervalMs), Durability.NEVER);
        }

        public List<Integer> partitionCounts() {
            return partitions <= 1 ? List.of(1) : List.of(1, partitions);
        }
    }

    /** One measured value before it becomes a figure. */
    public record Measured(double value, String unit, String description) {
    }

    static final int LATENCY_SIZE = 100;

    /**
     * The first part of the append throughput figures' names: {@code append} for one record per call (the method of
     * every recorded {@code append.*} figure), {@code appendAll<N>} for {@code N} records per {@code appendAll} call,
     * so figures measured with the bulk call never share a name with per-record ones.
     */
    public static String appendWorkload(int appendBatch) {
        return appendBatch == 1 ? "append" : "appendAll" + appendBatch;
    }

    private String appendName(String size, int partitions, String mode) {
        return appendWorkload(s.appendBatch()) + "." + size + ".p" + partitions + "." + mode;
    }

    private final Settings s;
    private final PrintWriter progress;
    private final Report report = new Report();
    private final List<String> errors = new ArrayList<>();
    private int topicSeq;

    public LogSuite(Settings settings, PrintWriter progress) {
        this.s = settings;
        this.progress = progress;
    }

    public Report report() {
        return report;
    }

    public List<String> errors() {
        return List.copyOf(errors);
    }

    public Settings settings() {
        return s;
    }

    // ------------------------------------------------------------------------------------------ our engine

    /**
     * Measures our embedded engine and adds its figures with their absolute targets: ack p50 within 1.5x of a raw
     * fdatasync, produce-to-consume p50 under 20 us, first durable append under 300 ms.
     */
    public void runEmbedded(LogClient embedded) {
        Map<String, Measured> m = measure(embedded, true, true);
        m.forEach((name, v) -> report.add(Figure.of(name, v.unit(), v.value(), v.description())));
        memory();
        startup();
        double fdatasync = valueOf("fdatasync.100B.p50");
        report.get("ack.100B.always.p50").ifPresent(f -> {
            if (!Double.isNaN(fdatasync)) {
                report.add(f.withTarget(Verdict.ratioAtMost(f.value(), fdatasync, 1.5, "raw fdatasync p50")));
            }
        });
        report.get("p2c.100B.never.block.p50").ifPresent(f -> report.add(f.withTarget(Verdict.below(f.value(), 20, "us"))));
    }

    private double valueOf(String name) {
        return report.get(name).map(Figure::value).orElse(Double.NaN);
    }

    private void memory() {
        OptionalDouble rss = ProcStatus.mib("VmRSS");
        OptionalDouble hwm = ProcStatus.mib("VmHWM");
        if (rss.isPresent()) {
            report.add(Figure.of("memory.rss", "MiB", rss.getAsDouble(),
                    "VmRSS of the benchmark JVM (engine + load generator) after the embedded workloads, log still open"));
        }
        if (hwm.isPresent()) {
            report.add(Figure.of("memory.peak_rss", "MiB", hwm.getAsDouble(),
                    "VmHWM (peak resident memory) of the benchmark JVM up to the end of the embedded workloads"));
        }
    }

    private void startup() {
        List<double[]> runs = firstDurableAppends("embedded", FirstDurableAppend.class.getName(), s.startupRuns());
        if (!runs.isEmpty()) {
            double median = median(runs.stream().map(r -> r[0]).toList());
            report.add(Figure.of("startup.first_durable_append", "ms", median,
                    "median of " + runs.size() + " child JVMs: JVM start time (RuntimeMXBean) to the ack of one "
                            + "fsync=always append to a new topic in a fresh data folder")
                    .withTarget(Verdict.below(median, 300, "ms")));
            report.add(Figure.of("startup.launch_to_first_durable_append", "ms", median(runs.stream().map(r -> r[1]).toList()),
                    "median: the parent's clock just before starting the child JVM to the child's first durable ack"));
        }
    }

    /**
     * Runs {@code mainClass} (which prints a {@code FIRST_DURABLE_APPEND} line) in {@code runs} fresh child JVMs;
     * returns per run {JVM start to durable ack, parent's launch to durable ack} in ms.
     */
    private List<double[]> firstDurableAppends(String who, String mainClass, int runs) {
        List<double[]> out = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            try {
                Path dir = s.dir().resolve("startup-" + who + "-" + i);
                long launch = System.currentTimeMillis();
                ChildJvm.Result r = ChildJvm.run(mainClass, List.of(), List.of(dir.toString()), 180);
                String line = r.stdout().stream().filter(l -> l.startsWith("FIRST_DURABLE_APPEND ")).findFirst()
                        .orElseThrow(() -> new IllegalStateException("the child printed no FIRST_DURABLE_APPEND line: "
                                + r.stdout() + " " + r.stderrTail()));
                Map<String, Long> kv = keyValues(line);
                double fromStart = kv.get("done_epoch_ms") - kv.get("jvm_start_epoch_ms");
                double fromLaunch = kv.get("done_epoch_ms") - launch;
                out.add(new double[] {fromStart, fromLaunch});
                deleteTree(dir);
                progress.printf(Locale.ROOT, "[bench] %-14s startup run %d: JVM start -> first durable append %.0f ms "
                        + "(launch -> %.0f ms)%n", who, i + 1, fromStart, fromLaunch);
            } catch (Exception e) {
                error(who, "startup run " + (i + 1), e);
            }
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------ peers

    /**
     * Attaches Kafka's figures to ours: {@code fsync=always} against topic {@code flush.messages=1},
     * {@code fsync=never} against stock Kafka. Targets: page-cache 100 B one partition at least 4x; fsync 1 KiB one
     * partition at least 6x. Also measures Kafka's time from JVM start to its first durable write (a broker started
     * in a child JVM, a {@code flush.messages=1} topic, one {@code acks=all} record), median of up to 3 runs.
     */
    public void runKafkaPeer(LogClient kafka) {
        Map<String, Measured> m = measure(kafka, false, false);
        m.forEach((name, v) -> {
            String peer = name.contains(".always") ? "kafka flush.messages=1" : "kafka (stock, no flush)";
            if (name.equals(appendName("100B", 1, "never"))) {
                report.compareAtLeast(name, peer, v.value(), 4);
            } else if (name.equals(appendName("1KiB", 1, "always"))) {
                report.compareAtLeast(name, peer, v.value(), 6);
            } else {
                report.compare(name, peer, v.value());
            }
        });
        int runs = Math.min(3, s.startupRuns());
        List<double[]> starts = firstDurableAppends("kafka", KafkaFirstDurableWrite.class.getName(), runs);
        if (!starts.isEmpty()) {
            report.compare("startup.first_durable_append", "kafka: broker start + first acks=all write, flush.messages=1",
                    median(starts.stream().map(r -> r[0]).toList()));
        }
    }

    /**
     * Runs the Chronicle Queue workloads in a child JVM and attaches them: our {@code fsync=never} against its
     * default mode (target at least 0.5x), our {@code fsync=always} against {@code SyncMode.SYNC} with
     * {@code sync()} per append and per 100 appends (target at least 1.5x the latter).
     */
    public void runChroniclePeer() {
        Map<String, Double> c;
        try {
            progress.println("[bench] chronicle: starting a child JVM with Chronicle Queue's --add-opens flags");
            Path dir = s.dir().resolve("chronicle");
            List<String> args = List.of("dir=" + dir,
                    "sizes=" + String.join(",", s.sizes().stream().map(String::valueOf).toList()),
                    "seconds=" + secs(s.seconds()), "warmupSeconds=" + secs(s.warmup()), "maxBytes=" + s.maxBytes(),
                    "latencySeconds=" + secs(s.latency()), "rate=" + s.rate(), "p2cSeconds=" + secs(s.p2c()));
            long budget = 120 + 20L * s.sizes().size() * (s.seconds().toSeconds() + s.warmup().toSeconds() + s.latency().toSeconds())
                    + 2 * s.p2c().toSeconds();
            ChildJvm.Result r = ChildJvm.run(ChronicleWorkloads.class.getName(), ChronicleWorkloads.jvmFlags(), args, budget);
            c = new LinkedHashMap<>();
            for (String line : r.stdout()) {
                if (line.startsWith("FIGURE ")) {
                    String[] f = line.split(" ");
                    c.put(f[1], Double.parseDouble(f[3]));
                    progress.println("[bench] chronicle " + f[1] + " = " + f[3] + " " + f[2]);
                }
            }
        } catch (Exception e) {
            error("chronicle", "child JVM", e);
            return;
        }
        for (int size : s.sizes()) {
            String sz = LogWorkloads.sizeName(size);
            ifPresent(c, "append." + sz + ".default", v -> report.compareAtLeast(appendName(sz, 1, "never"),
                    "chronicle default (no msync)", v, 0.5));
            ifPresent(c, "append." + sz + ".sync-each", v -> report.compare(appendName(sz, 1, "always"),
                    "chronicle SYNC, sync() every append", v));
            ifPresent(c, "append." + sz + ".sync-100", v -> report.compareAtLeast(appendName(sz, 1, "always"),
                    "chronicle SYNC, sync() every 100 appends", v, 1.5));
            ifPresent(c, "consume." + sz, v -> report.compare("consume." + sz, "chronicle tailer", v));
        }
        for (String p : List.of("p50", "p99", "p999")) {
            ifPresent(c, "ack.100B.sync-each." + p, v -> report.compare("ack.100B.always." + p,
                    "chronicle append + sync() (SYNC)", v));
            ifPresent(c, "p2c.100B.spin." + p, v -> report.compare("p2c.100B.never.spin." + p,
                    "chronicle spinning tailer", v));
        }
    }

    /**
     * {@code --backend kafka}: our EventLog SPI on the Kafka backend against raw kafka-clients on the same broker,
     * workload by workload, alternating. Target: at most 10% fewer records/s than raw (ratio at least 0.9).
     */
    public void runKafkaBackend(LogClient ours, LogClient raw) {
        runKafkaBackend(List.of(ours), raw);
    }

    /**
     * {@link #runKafkaBackend(LogClient, LogClient)} for several ways of appending through our SPI (e.g. the future
     * form's {@code append.*} and the callback form's {@code appendCb.*}), all taking turns with raw kafka-clients in
     * every workload; each of our append figures is held against the same raw figure, so no figure hides another.
     */
    public void runKafkaBackend(List<LogClient> ours, LogClient raw) {
        List<LogClient> all = new ArrayList<>(ours);
        all.add(raw);
        List<Map<String, Measured>> each = measureEach(all, false, false);
        for (int i = 0; i < ours.size(); i++) {
            each.get(i).forEach((name, v) -> report.add(Figure.of(name, v.unit(), v.value(), v.description())));
        }
        String rawAppends = raw.appendWorkload(s.appendBatch()) + ".";
        each.get(ours.size()).forEach((name, v) -> {
            String peer = name.contains(".always") ? "raw kafka-clients, flush.messages=1" : "raw kafka-clients";
            if (!v.unit().equals("records/s")) {
                report.compare(name, peer, v.value());
            } else if (name.startsWith(rawAppends)) {
                for (LogClient c : ours) {
                    report.compareAtLeast(c.appendWorkload(s.appendBatch()) + "." + name.substring(rawAppends.length()),
                            peer, v.value(), 0.9);
                }
            } else {
                report.compareAtLeast(name, peer, v.value(), 0.9);
            }
        });
    }

    // ------------------------------------------------------------------------------------------ workloads

    Map<String, Measured> measure(LogClient client, boolean rawFsync, boolean spin) {
        return measureEach(List.of(client), rawFsync, spin).get(0);
    }

    /**
     * Runs every workload on every client, one workload at a time across the clients (so slow drifts of the machine
     * hit all alike). Returns one map of figures per client, in the order measured.
     */
    List<Map<String, Measured>> measureEach(List<LogClient> clients, boolean rawFsync, boolean spin) {
        List<Map<String, Measured>> out = new ArrayList<>();
        for (int i = 0; i < clients.size(); i++) {
            out.add(new LinkedHashMap<>());
        }
        for (int size : s.sizes()) {
            for (LogClient c : clients) {
                step(c, "warm-up " + size + " B", () -> {
                    String t = topic("warmup");
                    c.createTopic(t, 1, Durability.NEVER);
                    Throughput w = LogWorkloads.append(c, t, size, s.warmup(), s.maxBytes() / size, s.threads());
                    LogWorkloads.consume(c, t, 1, w.records(), s.warmup().multipliedBy(4).plusSeconds(5));
                    c.deleteTopic(t);
                });
            }
        }
        boolean sideBySide = clients.size() > 1;
        // Counts repeats across every workload, not per workload: with one repeat per workload (the default) a
        // per-workload count would put our side first in every workload.
        int turn = 0;
        for (int size : s.sizes()) {
            String sz = LogWorkloads.sizeName(size);
            for (int partitions : s.partitionCounts()) {
                for (Durability mode : s.modes()) {
                    // Side by side, a mode one client lacks would be a figure without its peer: skip it for all.
                    if (clients.stream().anyMatch(c -> !c.supports(mode))) {
                        continue;
                    }
                    // Each client names its figures after how it appends (LogClient.appendWorkload); a peer's figure
                    // attaches to ours by the rest of the name.
                    String workload = "." + sz + ".p" + partitions + "." + modeName(mode);
                    String cname = "consume." + sz;
                    boolean consume = partitions == 1 && mode instanceof Durability.Never;
                    List<List<Throughput>> appends = new ArrayList<>();
                    List<List<Throughput>> consumes = new ArrayList<>();
                    for (int i = 0; i < clients.size(); i++) {
                        appends.add(new ArrayList<>());
                        consumes.add(new ArrayList<>());
                    }
                    for (int rep = 0; rep < s.repeat(); rep++) {
                        for (int k = 0; k < clients.size(); k++) {
                            // Turn about: which side runs first changes every run, so whatever the run before leaves
                            // behind (the broker deleting the last topic's files, a GC, a JIT compile) falls on both.
                            int i = (k + turn) % clients.size();
                            LogClient c = clients.get(i);
                            List<Throughput> a = appends.get(i);
                            List<Throughput> cs = consumes.get(i);
                            String name = c.appendWorkload(s.appendBatch()) + workload;
                            step(c, name, () -> {
                                String t = topic(name);
                                c.createTopic(t, partitions, mode);
                                settle(sideBySide);
                                Throughput r = LogWorkloads.append(c, t, size, s.seconds(), s.maxBytes() / size, s.threads());
                                a.add(r);
                                progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s, %s (run %d)%n",
                                        c.label(), name, Report.number(r.perSecond(), "records/s"), cpu(r), a.size());
                                if (consume && !c.appendThroughputOnly()) {
                                    settle(sideBySide);
                                    Throughput read = LogWorkloads.consume(c, t, 1, r.records(),
                                            s.seconds().multipliedBy(4).plusSeconds(10));
                                    cs.add(read);
                                    progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s, %s (run %d)%n",
                                            c.label(), cname, Report.number(read.perSecond(), "records/s"), cpu(read),
                                            cs.size());
                                }
                                c.deleteTopic(t);
                            });
                        }
                        turn++;
                    }
                    for (int i = 0; i < clients.size(); i++) {
                        List<Throughput> a = appends.get(i);
                        String name = clients.get(i).appendWorkload(s.appendBatch()) + workload;
                        if (!a.isEmpty()) {
                            put(clients.get(i), out.get(i), name, medianRate(a), "records/s", "append throughput, "
                                    + size + " B values, " + partitions + " partition(s), fsync=" + mode + ", "
                                    + s.threads() + " producer thread(s), " + clients.get(i).appendCalls() + "; "
                                    + runs(a));
                        }
                        List<Throughput> cs = consumes.get(i);
                        if (!cs.isEmpty()) {
                            put(clients.get(i), out.get(i), cname, medianRate(cs), "records/s",
                                    "one consumer reading back the " + size + " B records just written, page cache hot; "
                                            + runs(cs));
                        }
                    }
                }
            }
        }
        if (rawFsync) {
            step(clients.get(0), "raw fdatasync", () -> {
                Files.createDirectories(s.dir());
                Histogram h = LogWorkloads.rawFdatasync(s.dir(), LATENCY_SIZE, s.warmup(), s.latency());
                percentiles(clients.get(0), out.get(0), "fdatasync.100B", h,
                        "raw FileChannel write of 100 B + force(false) (fdatasync) in a loop, same file system");
            });
        }
        for (Durability mode : List.of(Durability.ALWAYS, Durability.NEVER)) {
            for (int i = 0; i < clients.size(); i++) {
                LogClient c = clients.get(i);
                if (c.appendThroughputOnly()) {
                    continue;
                }
                Map<String, Measured> m = out.get(i);
                String name = "ack.100B." + modeName(mode);
                step(c, name, () -> {
                    String t = topic(name);
                    c.createTopic(t, 1, mode);
                    Histogram h = LogWorkloads.ackLatency(c, t, LATENCY_SIZE, s.warmup(), s.latency());
                    percentiles(c, m, name, h, "append-to-ack with one 100 B append in flight, fsync=" + mode);
                    c.deleteTopic(t);
                });
            }
        }
        List<String> pollModes = spin ? List.of("block", "spin") : List.of("block");
        for (Durability mode : List.of(Durability.NEVER, Durability.ALWAYS)) {
            for (String poll : pollModes) {
                if (poll.equals("spin") && mode instanceof Durability.Always) {
                    continue;
                }
                for (int i = 0; i < clients.size(); i++) {
                    LogClient c = clients.get(i);
                    if (c.appendThroughputOnly()) {
                        continue;
                    }
                    Map<String, Measured> m = out.get(i);
                    String name = "p2c.100B." + modeName(mode) + "." + poll;
                    step(c, name, () -> {
                        String t = topic(name);
                        c.createTopic(t, 1, mode);
                        Histogram h = LogWorkloads.produceToConsume(c, t, LATENCY_SIZE, s.rate(), s.warmup(), s.p2c(),
                                poll.equals("spin"));
                        percentiles(c, m, name, h, "produce-to-consume, 100 B at " + s.rate() + " records/s, fsync="
                                + mode + ", consumer " + (poll.equals("spin") ? "spinning on poll(0)" : "blocking in poll(100 ms)"));
                        c.deleteTopic(t);
                    });
                }
            }
        }
        return out;
    }

    /**
     * Side by side, collects the garbage of the run before (all clients share this JVM, and the broker when it runs
     * in it) before a measured run starts, so no run pays for the previous one's allocations: without it, a consume
     * run right after a heavier append run paid for that run's young collections, and so did whichever side came
     * next. Not for a single client, whose recorded figures were measured without it.
     */
    private static void settle(boolean sideBySide) {
        if (sideBySide) {
            System.gc();
        }
    }

    private static double medianRate(List<Throughput> runs) {
        return median(runs.stream().map(Throughput::perSecond).toList());
    }

    /**
     * "median of 3 runs: 1,234 / 1,250 / 1,300 records/s, up to 5000000 records per run; process CPU 1.52 / 1.49 /
     * 1.50 us per record".
     */
    static String runs(List<Throughput> runs) {
        String each = String.join(" / ", runs.stream().map(t -> Report.number(t.perSecond(), "records/s")).toList());
        long records = runs.stream().mapToLong(Throughput::records).max().orElse(0);
        String text = (runs.size() == 1 ? "1 run: " : "median of " + runs.size() + " runs: ") + each
                + " records/s, up to " + records + " records per run";
        if (runs.stream().allMatch(t -> t.cpuMicrosPerRecord() >= 0)) {
            text += "; process CPU " + String.join(" / ", runs.stream()
                    .map(t -> String.format(Locale.ROOT, "%.2f", t.cpuMicrosPerRecord())).toList()) + " us per record";
        }
        return text;
    }

    private static String cpu(Throughput t) {
        return t.cpuMicrosPerRecord() < 0 ? "process CPU unknown"
                : String.format(Locale.ROOT, "%.2f us CPU/record", t.cpuMicrosPerRecord());
    }

    private void percentiles(LogClient c, Map<String, Measured> m, String name, Histogram h, String what) {
        put(c, m, name + ".p50", h.getValueAtPercentile(50) / 1e3, "us", what + ": p50 of " + h.getTotalCount());
        put(c, m, name + ".p99", h.getValueAtPercentile(99) / 1e3, "us", what + ": p99 of " + h.getTotalCount());
        put(c, m, name + ".p999", h.getValueAtPercentile(99.9) / 1e3, "us", what + ": p99.9 of " + h.getTotalCount());
    }

    private void put(LogClient c, Map<String, Measured> m, String name, double value, String unit, String what) {
        m.put(name, new Measured(value, unit, what));
        progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s %s%n", c.label(), name, Report.number(value, unit), unit);
    }

    @FunctionalInterface
    private interface Step {
        void run() throws Exception;
    }

    private void step(LogClient c, String what, Step step) {
        try {
            step.run();
        } catch (Exception | AssertionError e) {
            error(c.label(), what, e);
        }
    }

    private void error(String who, String what, Throwable e) {
        String msg = who + ": " + what + " failed: " + e;
        errors.add(msg);
        progress.println("[bench] ERROR " + msg);
    }

    private String topic(String workload) {
        return "bench-" + (++topicSeq) + "-" + workload.replaceAll("[^a-zA-Z0-9_-]", "-");
    }

    public static String modeName(Durability mode) {
        return switch (mode) {
            case Durability.Always a -> "always";
            case Durability.Never n -> "never";
            case Durability.Interval i -> "interval-" + i.intervalMs() + "ms";
        };
    }

    private static void ifPresent(Map<String, Double> m, String key, java.util.function.DoubleConsumer then) {
        Double v = m.get(key);
        if (v != null) {
            then.accept(v);
        }
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static Map<String, Long> keyValues(String line) {
        Map<String, Long> kv = new LinkedHashMap<>();
        for (String part : line.split(" ")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                kv.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
            }
        }
        return kv;
    }

    private static String secs(Duration d) {
        return String.format(Locale.ROOT, "%.3f", d.toNanos() / 1e9);
    }

    static void deleteTree(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (var walk = Files.walk(d)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Used by tests and docs: every figure name a full embedded run produces, given its settings. */
    public static List<String> expectedEmbeddedFigures(Settings s) {
        TreeSet<String> names = new TreeSet<>();
        for (int size : s.sizes()) {
            String sz = LogWorkloads.sizeName(size);
            for (int p : s.partitionCounts()) {
                for (Durability d : s.modes()) {
                    names.add(appendWorkload(s.appendBatch()) + "." + sz + ".p" + p + "." + modeName(d));
                }
            }
            names.add("consume." + sz);
        }
        for (String base : List.of("fdatasync.100B", "ack.100B.always", "ack.100B.never", "p2c.100B.never.block",
                "p2c.100B.never.spin", "p2c.100B.always.block")) {
            for (String p : Arrays.asList("p50", "p99", "p999")) {
                names.add(base + "." + p);
            }
        }
        names.addAll(List.of("memory.rss", "memory.peak_rss", "startup.first_durable_append",
                "startup.launch_to_first_durable_append"));
        return List.copyOf(names);
    }
}
