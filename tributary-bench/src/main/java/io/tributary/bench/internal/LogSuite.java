package io.tributary.bench.internal;

import io.tributary.bench.internal.Figure.Verdict;
import io.tributary.bench.internal.KafkaUnderTest.BrokerActivity;
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
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

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
     * @param pairs          side by side ({@code --backend kafka}): paired rounds per throughput workload, each
     *                       round one trial of every client ({@link #measureEach}); {@code repeat} is then unused
     */
    public record Settings(Path dir, List<Integer> sizes, int partitions, int threads, long intervalMs,
                           Duration seconds, Duration warmup, long maxBytes, Duration latency, int rate,
                           Duration p2c, int startupRuns, int repeat, int appendBatch, int pairs,
                           int maxWarmupRounds) {

        public Settings {
            sizes = List.copyOf(sizes);
            if (maxWarmupRounds < 1) {
                throw new IllegalArgumentException("maxWarmupRounds " + maxWarmupRounds + " must be at least 1");
            }
            if (appendBatch < 1) {
                throw new IllegalArgumentException("appendBatch " + appendBatch + " must be at least 1");
            }
            if (pairs < 1) {
                throw new IllegalArgumentException("pairs " + pairs + " must be at least 1");
            }
        }

        /** At most {@link #MAX_WARMUP_ROUNDS} warm-up rounds per paired workload, until the JIT settles. */
        public Settings(Path dir, List<Integer> sizes, int partitions, int threads, long intervalMs,
                        Duration seconds, Duration warmup, long maxBytes, Duration latency, int rate,
                        Duration p2c, int startupRuns, int repeat, int appendBatch, int pairs) {
            this(dir, sizes, partitions, threads, intervalMs, seconds, warmup, maxBytes, latency, rate, p2c,
                    startupRuns, repeat, appendBatch, pairs, MAX_WARMUP_ROUNDS);
        }

        /** The settings of runs before paired trials: {@link #pairs} 10, the {@code --backend kafka} default. */
        public Settings(Path dir, List<Integer> sizes, int partitions, int threads, long intervalMs,
                        Duration seconds, Duration warmup, long maxBytes, Duration latency, int rate,
                        Duration p2c, int startupRuns, int repeat, int appendBatch) {
            this(dir, sizes, partitions, threads, intervalMs, seconds, warmup, maxBytes, latency, rate, p2c,
                    startupRuns, repeat, appendBatch, DEFAULT_PAIRS);
        }

        public List<Durability> modes() {
            return List.of(Durability.ALWAYS, new Durability.Interval(intervalMs), Durability.NEVER);
        }

        public List<Integer> partitionCounts() {
            return partitions <= 1 ? List.of(1) : List.of(1, partitions);
        }
    }

    /**
     * One measured value before it becomes a figure.
     *
     * @param trials    side by side, the records/s of each paired round in round order ({@code NaN} where the
     *                  trial failed), so {@link #runKafkaBackend} can pair them with the peer's; empty otherwise
     * @param cpuTrials the same trials' process CPU in us per record ({@code NaN} where unknown or failed)
     */
    public record Measured(double value, String unit, String description, List<Double> trials,
                           List<Double> cpuTrials) {

        public Measured {
            trials = List.copyOf(trials);
            cpuTrials = List.copyOf(cpuTrials);
        }

        public Measured(double value, String unit, String description) {
            this(value, unit, description, List.of(), List.of());
        }
    }

    /**
     * Paired rounds per throughput workload side by side, unless told: enough for a 90% interval of the median, and a
     * multiple of 6 so that {@link PairedRatio#roundOrder} puts each client first and last equally often with two clients and with
     * three ({@code --append-batch 1}: raw, future form, callback form). 10 left the three-client rotation lopsided
     * (rounds 6-9 repeat rounds 0-3: the future form ran first 4 times, raw 3).
     */
    public static final int DEFAULT_PAIRS = 12;

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
     * in paired trials ({@link #measureEach}). Target: at most 10% fewer records/s than raw (the interval of the
     * median per-pair ratio at or above 0.9).
     */
    public void runKafkaBackend(LogClient ours, LogClient raw, KafkaUnderTest broker) {
        runKafkaBackend(List.of(ours), raw, broker);
    }

    /**
     * {@link #runKafkaBackend(LogClient, LogClient)} for several ways of appending through our SPI (e.g. the future
     * form's {@code append.*} and the callback form's {@code appendCb.*}), all taking turns with raw kafka-clients in
     * every round; each of our append figures is paired with the raw trials of the same rounds, so no figure hides
     * another. A throughput figure's ratio is the median of its per-round ratios, with a 90% interval
     * ({@link PairedRatio}); the latency figures are single runs, compared as before. Where {@code broker} runs in
     * this JVM, each paired trial also reports what the broker received and spent
     * ({@link KafkaUnderTest#brokerActivity}), and each of our rows its paired differences from raw's.
     */
    public void runKafkaBackend(List<LogClient> ours, LogClient raw, KafkaUnderTest broker) {
        List<LogClient> all = new ArrayList<>(ours);
        all.add(raw);
        List<Map<String, Measured>> each = measureEach(all, false, false, broker::brokerActivity);
        for (int i = 0; i < ours.size(); i++) {
            each.get(i).forEach((name, v) -> report.add(Figure.of(name, v.unit(), v.value(), v.description())));
        }
        String rawAppends = raw.appendWorkload(s.appendBatch()) + ".";
        each.get(ours.size()).forEach((name, v) -> {
            String peer = name.contains(".always") ? "raw kafka-clients, flush.messages=1" : "raw kafka-clients";
            if (!v.unit().equals("records/s")) {
                report.compare(name, peer, v.value());
                return;
            }
            for (int i = 0; i < ours.size(); i++) {
                String mine = name.startsWith(rawAppends)
                        ? ours.get(i).appendWorkload(s.appendBatch()) + "." + name.substring(rawAppends.length())
                        : name;
                Measured m = each.get(i).get(mine);
                if (m == null) {
                    continue;
                }
                Optional<PairedRatio> paired = PairedRatio.ofRounds(m.trials(), v.trials());
                if (paired.isPresent()) {
                    // Raw's CPU per record over ours: above 1, ours spends less CPU per record than raw.
                    report.comparePaired(mine, peer, paired.get(), PairedRatio.ofRounds(v.cpuTrials(), m.cpuTrials()).orElse(null), 0.9);
                } else {
                    report.compareAtLeast(mine, peer, v.value(), 0.9);
                }
            }
        });
    }


    // ------------------------------------------------------------------------------------------ workloads

    Map<String, Measured> measure(LogClient client, boolean rawFsync, boolean spin) {
        return measureEach(List.of(client), rawFsync, spin).get(0);
    }

    /**
     * Runs every workload on every client, one workload at a time across the clients (so slow drifts of the machine
     * hit all alike): side by side, the throughput workloads as paired trials ({@link #pairedThroughput}), alone
     * {@code repeat} runs each. Returns one map of figures per client, in the order measured.
     */
    List<Map<String, Measured>> measureEach(List<LogClient> clients, boolean rawFsync, boolean spin) {
        return measureEach(clients, rawFsync, spin, NO_BROKER);
    }

    /** No broker in this JVM to read: no broker figures. */
    static final Function<String, Optional<BrokerActivity>> NO_BROKER = topic -> Optional.empty();

    /**
     * {@link #measureEach(List, boolean, boolean)}, each paired trial also reporting what the broker received and
     * spent for its topic as {@code brokerMeters} reads it ({@link KafkaUnderTest#brokerActivity}, or
     * {@link #NO_BROKER}); each client's row but the last also gets its paired differences from the last client's.
     */
    List<Map<String, Measured>> measureEach(List<LogClient> clients, boolean rawFsync, boolean spin,
                                            Function<String, Optional<BrokerActivity>> brokerMeters) {
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
        if (clients.size() > 1) {
            pairedThroughput(clients, out, brokerMeters);
        } else {
            singleThroughput(clients.getFirst(), out.getFirst());
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
     * One client alone (the embedded engine, or a peer measured after it): each throughput workload {@code repeat}
     * times on a fresh topic, the median reported; the method of the recorded embedded and {@code --vs} figures.
     */
    private void singleThroughput(LogClient c, Map<String, Measured> out) {
        for (int size : s.sizes()) {
            String sz = LogWorkloads.sizeName(size);
            for (int partitions : s.partitionCounts()) {
                for (Durability mode : s.modes()) {
                    if (!c.supports(mode)) {
                        continue;
                    }
                    String name = c.appendWorkload(s.appendBatch()) + "." + sz + ".p" + partitions + "." + modeName(mode);
                    String cname = "consume." + sz;
                    boolean consume = partitions == 1 && mode instanceof Durability.Never && !c.appendThroughputOnly();
                    List<Throughput> a = new ArrayList<>();
                    List<Throughput> cs = new ArrayList<>();
                    for (int rep = 0; rep < s.repeat(); rep++) {
                        step(c, name, () -> {
                            String t = topic(name);
                            c.createTopic(t, partitions, mode);
                            Throughput r = LogWorkloads.append(c, t, size, s.seconds(), s.maxBytes() / size, s.threads());
                            a.add(r);
                            progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s, %s (run %d)%n",
                                    c.label(), name, Report.number(r.perSecond(), "records/s"), cpu(r), a.size());
                            if (consume) {
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
                    if (!a.isEmpty()) {
                        put(c, out, name, medianRate(a), "records/s", "append throughput, " + size + " B values, "
                                + partitions + " partition(s), fsync=" + mode + ", " + s.threads()
                                + " producer thread(s), " + c.appendCalls() + "; " + runs(a));
                    }
                    if (!cs.isEmpty()) {
                        put(c, out, cname, medianRate(cs), "records/s",
                                "one consumer reading back the " + size + " B records just written, page cache hot; "
                                        + runs(cs));
                    }
                }
            }
        }
    }

    /**
     * Side by side: every throughput workload as {@code pairs} rounds of short trials, one trial of every client per
     * round, each round's order mirrored in the next (A B, B A, then rotated: B A, A B; with three clients the six
     * orders in turn), so a drift of the machine within a block, and what a trial leaves to the next (a collection, a
     * compile, the broker's deletion of the last topic), fall on every client alike. Before the rounds, one trial of
     * each client that is not counted (the workload's warm-up: its producer path, partition count and durability
     * mode compiled for every client). Within a round every client appends exactly the same number of records (so
     * each leaves the broker the same log, and none rolls a segment another does not): what the slowest client
     * appends in {@code seconds} at its median rate so far (its warm-up rate before the first round), so trials stay
     * about {@code seconds} long when a warm-up ran partly interpreted or the machine's load changes. Each trial starts from the same state: a fresh topic of
     * the same config, a new producer that has already sent one acknowledged record (metadata, producer id and
     * connection settled outside the clock), and the garbage of the previous trial collected. With consume, the
     * client reads back its own trial's records right after, so reads pair round by round too. Figures: the median
     * trial, with every trial kept in {@link Measured#trials} for pairing.
     */
    private void pairedThroughput(List<LogClient> clients, List<Map<String, Measured>> out,
                                  Function<String, Optional<BrokerActivity>> brokerMeters) {
        for (int size : s.sizes()) {
            String sz = LogWorkloads.sizeName(size);
            for (int partitions : s.partitionCounts()) {
                for (Durability mode : s.modes()) {
                    // A mode one client lacks would be a figure without its peer: skip it for all.
                    if (clients.stream().anyMatch(c -> !c.supports(mode))) {
                        continue;
                    }
                    pairedWorkload(clients, out, size, partitions, mode, brokerMeters);
                }
            }
        }
    }

    private void pairedWorkload(List<LogClient> clients, List<Map<String, Measured>> out, int size, int partitions,
                                Durability mode, Function<String, Optional<BrokerActivity>> brokerMeters) {
        String sz = LogWorkloads.sizeName(size);
        // Each client names its figures after how it appends (LogClient.appendWorkload); a peer's figure attaches to
        // ours by the rest of the name.
        String workload = "." + sz + ".p" + partitions + "." + modeName(mode);
        String cname = "consume." + sz;
        boolean consume = partitions == 1 && mode instanceof Durability.Never;
        int k = clients.size();
        // Warm-up trials, not counted, in the first round's order; the slowest sets the first round's record count.
        // Rounds of them until the JIT has settled: one round left the JIT compiling through the measured rounds
        // (1-3.5 us of a 5-7 us CPU per record in some trials, landing on whichever client ran then).
        long maxRecords = s.maxBytes() / size;
        double[] warm = new double[k];
        for (int wround = 0; wround < s.maxWarmupRounds(); wround++) {
            boolean settled = true;
            for (int i = 0; i < k; i++) {
                LogClient c = clients.get(i);
                String name = c.appendWorkload(s.appendBatch()) + workload;
                Trial w = trial(c, name, size, partitions, mode, s.seconds(), maxRecords, false, brokerMeters);
                if (w != null && w.append().records() > 0) {
                    warm[i] = w.append().perSecond();
                    double jit = jitShare(w.append());
                    settled &= Double.isNaN(jit) || jit < JIT_SETTLED_SHARE; // unknown: one round, as before
                    progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s (warm-up trial %d, not counted;"
                            + " JIT %s of its CPU)%n", c.label(), name, Report.number(warm[i], "records/s"), wround + 1,
                            Double.isNaN(jit) ? "unknown" : String.format(Locale.ROOT, "%.0f%%", 100 * jit));
                }
            }
            if (settled) {
                break;
            }
        }
        // Fixed count, not fixed time: a trial ends at its count; the cap only stops a stalled one.
        Duration cap = s.seconds().multipliedBy(10).plusSeconds(10);
        List<List<Double>> appends = new ArrayList<>();
        List<List<Double>> reads = new ArrayList<>();
        List<List<Double>> appendCpu = new ArrayList<>();
        List<List<Double>> readCpu = new ArrayList<>();
        List<List<Throughput>> appendRuns = new ArrayList<>();
        List<List<Throughput>> readRuns = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            appends.add(new ArrayList<>());
            reads.add(new ArrayList<>());
            appendCpu.add(new ArrayList<>());
            readCpu.add(new ArrayList<>());
            appendRuns.add(new ArrayList<>());
            readRuns.add(new ArrayList<>());
        }
        List<List<Trial>> appendTrials = new ArrayList<>();
        // Round by round, null where a trial failed or had no broker figures, so two clients' rounds stay paired.
        List<List<@Nullable BrokerActivity>> brokerRounds = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            appendTrials.add(new ArrayList<>());
            brokerRounds.add(new ArrayList<>());
        }
        List<Long> counts = new ArrayList<>();
        for (int round = 0; round < s.pairs(); round++) {
            // Every client appends the same count within a round. The count follows the slowest client's median
            // rate so far (its warm-up trial before the first round), so a trial lasts about `seconds` even when a
            // warm-up still ran partly interpreted or the machine's load changes.
            double slowest = Double.MAX_VALUE;
            for (int i = 0; i < k; i++) {
                List<Double> done = appends.get(i).stream().filter(v -> v > 0).toList();
                double rate = done.isEmpty() ? warm[i] : median(done);
                slowest = Math.min(slowest, rate > 0 ? rate : Double.MAX_VALUE);
            }
            long records = trialRecords(slowest, s.seconds(), maxRecords);
            counts.add(records);
            for (int i : PairedRatio.roundOrder(k, round)) {
                LogClient c = clients.get(i);
                String name = c.appendWorkload(s.appendBatch()) + workload;
                boolean read = consume && !c.appendThroughputOnly();
                Trial t = trial(c, name, size, partitions, mode, cap, records, read, brokerMeters);
                appends.get(i).add(t == null ? Double.NaN : t.append().perSecond());
                reads.get(i).add(t == null || t.read() == null ? Double.NaN : t.read().perSecond());
                appendCpu.get(i).add(t == null ? Double.NaN : cpuOrNaN(t.append()));
                readCpu.get(i).add(t == null || t.read() == null ? Double.NaN : cpuOrNaN(t.read()));
                brokerRounds.get(i).add(t == null ? null : t.broker());
                if (t != null) {
                    appendRuns.get(i).add(t.append());
                    appendTrials.get(i).add(t);
                    progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s, %s (round %d, %,d records)%s%n",
                            c.label(), name, Report.number(t.append().perSecond(), "records/s"), cpu(t.append()),
                            round + 1, records, requests(t));
                    if (t.read() != null) {
                        readRuns.get(i).add(t.read());
                        progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s records/s, %s (round %d)%n", c.label(),
                                cname, Report.number(t.read().perSecond(), "records/s"), cpu(t.read()), round + 1);
                    }
                }
            }
        }
        String perTrial = counts.stream().min(Long::compare).orElseThrow() + "-"
                + counts.stream().max(Long::compare).orElseThrow();
        for (int i = 0; i < k; i++) {
            LogClient c = clients.get(i);
            String name = c.appendWorkload(s.appendBatch()) + workload;
            if (!appendRuns.get(i).isEmpty()) {
                putTrials(c, out.get(i), name, appends.get(i), appendCpu.get(i), "append throughput, " + size + " B values, " + partitions
                        + " partition(s), fsync=" + mode + ", " + s.threads() + " producer thread(s), " + c.appendCalls()
                        + "; " + paired(appendRuns.get(i), perTrial) + medianRequests(appendTrials.get(i))
                        + (i == k - 1 ? "" : pairedRequests(brokerRounds.get(i), brokerRounds.get(k - 1),
                                clients.get(k - 1).label())));
            }
            if (!readRuns.get(i).isEmpty()) {
                putTrials(c, out.get(i), cname, reads.get(i), readCpu.get(i), "one consumer reading back the " + size
                        + " B records its own trial just wrote (and the primed one), page cache hot; "
                        + paired(readRuns.get(i), perTrial));
            }
        }
    }

    /**
     * Records per trial for a client appending {@code rate} records/s to last about {@code seconds}: a whole number
     * of the workload's {@link LogWorkloads#RECORDS_PER_SEND_ALL} calls, at least one, at most {@code maxRecords}
     * (rounded down to whole calls).
     */
    static long trialRecords(double rate, Duration seconds, long maxRecords) {
        int step = LogWorkloads.RECORDS_PER_SEND_ALL;
        double wanted = rate == Double.MAX_VALUE ? maxRecords : rate * seconds.toNanos() / 1e9;
        long calls = Math.round(Math.min(wanted, maxRecords) / step);
        return Math.max(1, Math.min(calls, maxRecords / step)) * step;
    }

    /**
     * One trial's append and, if asked, the read-back of what it appended; on a broker in this JVM, what the broker
     * received and spent during the measured appends ({@code broker}), and the producer's own figures
     * ({@code producer}, {@link KafkaUnderTest#producerMetrics}, in its order; empty for a client without a Kafka
     * producer).
     */
    record Trial(Throughput append, @Nullable Throughput read, @Nullable BrokerActivity broker,
                 Map<String, Double> producer) {
        Trial {
            // Copied in its order: the report prints the metrics as KafkaUnderTest#PRODUCER_METRICS lists them.
            producer = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(producer));
        }
    }

    /**
     * One trial of {@code client}: a fresh topic, a primed producer, the garbage collected, then {@code records}
     * appended (or {@code limit} passed), optionally read back; the topic deleted. Null if it failed (the error is
     * collected).
     */
    private @Nullable Trial trial(LogClient c, String name, int size, int partitions, Durability mode, Duration limit,
                                  long records, boolean read, Function<String, Optional<BrokerActivity>> brokerMeters) {
        Trial[] done = new Trial[1];
        step(c, name, () -> {
            String t = topic(name);
            c.createTopic(t, partitions, mode);
            Throughput appended;
            BrokerActivity broker;
            Map<String, Double> producer;
            try (LogClient.Sender sender = c.newSender(LogClient.Tuning.THROUGHPUT, LogWorkloads.maxInFlight(size))) {
                // One acknowledged record first, outside the clock: the producer fetches the new topic's metadata,
                // gets its producer id and connects, which otherwise lands in the measured time of a short trial.
                sender.sendAndWait(t, 0, LogWorkloads.payload(size));
                settle(true);
                BrokerActivity before = diagnostic(c, name, "broker figures",
                        () -> brokerMeters.apply(t).orElse(null));
                appended = LogWorkloads.append(sender, c.label(), t, size, limit, records, s.threads());
                // Read before the sender closes and the topic goes: both take their meters with them.
                broker = before == null ? null : diagnostic(c, name, "broker figures",
                        () -> brokerMeters.apply(t).map(a -> a.since(before)).orElse(null));
                Map<String, Double> metrics = diagnostic(c, name, "producer figures", KafkaUnderTest::producerMetrics);
                producer = metrics == null ? Map.of() : metrics;
            }
            Throughput back = null;
            if (read) {
                settle(true);
                // The primed record is read too: every client's topic holds one more than it appended.
                back = LogWorkloads.consume(c, t, 1, appended.records() + 1, s.seconds().multipliedBy(10).plusSeconds(10));
            }
            c.deleteTopic(t);
            done[0] = new Trial(appended, back, broker, producer);
        });
        return done[0];
    }

    /**
     * {@code read}'s result, or null if it failed: the broker's and producer's figures explain a trial, and a failure
     * to read them (a meter gone, a thread's counter that went down) must not cost the trial's measurement. Reported
     * as a warning, so a run that lost them says why.
     */
    private <T> @Nullable T diagnostic(LogClient c, String name, String what, Supplier<@Nullable T> read) {
        try {
            return read.get();
        } catch (IllegalStateException | IllegalArgumentException e) {
            progress.printf(Locale.ROOT, "[bench] WARNING %s %s: no %s for this trial, reading them failed: %s%n",
                    c.label(), name, what, e.getMessage());
            return null;
        }
    }

    /**
     * "; broker: 1,712 partition batches of 584.1 records, 120.5 B per record, 3 other requests, handlers 0.41 us,
     * network 0.12 us and 85 B allocated per record; producer: records-per-request-avg 584.0, ...", or empty where
     * neither was read.
     */
    static String requests(Trial t) {
        StringBuilder b = new StringBuilder();
        BrokerActivity r = t.broker();
        if (r != null) {
            b.append(String.format(Locale.ROOT, "; broker: %,d partition batches of %.1f records, %.1f B per record, "
                    + "%,d other requests, handlers %.2f us, network %.2f us and %.0f B allocated per record",
                    r.batches(), r.recordsPerBatch(), r.bytesPerRecord(), r.otherRequests(), r.handlerMicrosPerRecord(),
                    r.networkMicrosPerRecord(), r.allocatedBytesPerRecord()));
        }
        if (!t.producer().isEmpty()) {
            b.append("; producer:");
            t.producer().forEach((name, v) -> b.append(String.format(Locale.ROOT, " %s %.1f", name, v)));
        }
        return b.toString();
    }

    /**
     * The row's medians over its trials of what the broker received and spent, so the report shows whether two
     * clients' records reached the broker alike: "; broker, medians: 584.1 records per partition batch, 120.5 B per
     * record, handlers 0.41 us, network 0.12 us, 85 B allocated per record", or empty where the broker is not in
     * this JVM.
     */
    static String medianRequests(List<Trial> trials) {
        List<BrokerActivity> counted = trials.stream().map(Trial::broker).filter(java.util.Objects::nonNull).toList();
        if (counted.isEmpty() || counted.size() < trials.size()) {
            return "";
        }
        return String.format(Locale.ROOT, "; broker, medians: %.1f records per partition batch, %.1f B per record, "
                        + "handlers %.2f us, network %.2f us, %.0f B allocated per record",
                median(counted.stream().map(BrokerActivity::recordsPerBatch).toList()),
                median(counted.stream().map(BrokerActivity::bytesPerRecord).toList()),
                median(counted.stream().map(BrokerActivity::handlerMicrosPerRecord).toList()),
                median(counted.stream().map(BrokerActivity::networkMicrosPerRecord).toList()),
                median(counted.stream().map(BrokerActivity::allocatedBytesPerRecord).toList()));
    }

    /**
     * The medians over rounds of this client's broker figures minus {@code reference}'s (raw kafka-clients in a
     * {@code --backend kafka} run) in the same round, so a difference smaller than the spread between rounds shows:
     * "; broker, paired medians minus raw: +0.0 records per partition batch, handlers +0.010 us, network -0.002 us,
     * +0 B allocated per record (12 rounds)". Rounds in which either side has no figures are left out; empty if no
     * round has both.
     */
    static String pairedRequests(List<@Nullable BrokerActivity> mine, List<@Nullable BrokerActivity> reference,
                                 String referenceLabel) {
        List<BrokerActivity[]> rounds = new ArrayList<>();
        for (int r = 0; r < Math.min(mine.size(), reference.size()); r++) {
            BrokerActivity a = mine.get(r);
            BrokerActivity b = reference.get(r);
            if (a != null && b != null && a.records() > 0 && b.records() > 0) {
                rounds.add(new BrokerActivity[] {a, b});
            }
        }
        if (rounds.isEmpty()) {
            return "";
        }
        return String.format(Locale.ROOT, "; broker, paired medians minus %s: %+.1f records per partition batch, "
                        + "handlers %+.3f us, network %+.3f us, %+.0f B allocated per record (%d rounds)", referenceLabel,
                median(rounds.stream().map(p -> p[0].recordsPerBatch() - p[1].recordsPerBatch()).toList()),
                median(rounds.stream().map(p -> p[0].handlerMicrosPerRecord() - p[1].handlerMicrosPerRecord()).toList()),
                median(rounds.stream().map(p -> p[0].networkMicrosPerRecord() - p[1].networkMicrosPerRecord()).toList()),
                median(rounds.stream().map(p -> p[0].allocatedBytesPerRecord() - p[1].allocatedBytesPerRecord()).toList()),
                rounds.size());
    }


    /** Most warm-up rounds of a paired workload (each one trial per client), however busy the JIT still is. */
    public static final int MAX_WARMUP_ROUNDS = 5;
    /** The JIT's share of a warm-up trial's process CPU under which it counts as settled for the measured rounds. */
    static final double JIT_SETTLED_SHARE = 0.05;

    /** The JIT compiler threads' share of a trial's process CPU, or NaN if the trial's CPU was not split. */
    static double jitShare(Throughput t) {
        double jit = t.cpuMicrosPerRecord(ThreadKindCpu.JIT);
        double all = t.cpuMicrosPerRecord();
        return Double.isNaN(jit) || all <= 0 ? Double.NaN : jit / all;
    }

    private static double cpuOrNaN(Throughput t) {
        double cpu = t.cpuMicrosPerRecord();
        return cpu > 0 ? cpu : Double.NaN;
    }

    private void putTrials(LogClient c, Map<String, Measured> m, String name, List<Double> trials,
                           List<Double> cpuTrials, String what) {
        double median = median(trials.stream().filter(v -> v > 0).toList());
        m.put(name, new Measured(median, "records/s", what, trials, cpuTrials));
        progress.printf(Locale.ROOT, "[bench] %-14s %-32s %14s %s (median of %d paired trials)%n", c.label(), name,
                Report.number(median, "records/s"), "records/s", trials.stream().filter(v -> v > 0).count());
    }

    /**
     * "median of 10 paired trials of 98304-1000064 records each (equal within a round): 1,234 / 1,250 / ...
     * records/s; process CPU ... us per record".
     */
    private static String paired(List<Throughput> trials, String records) {
        String text = "median of " + trials.size() + " paired trials of " + records
                + " records each (equal within a round): "
                + String.join(" / ", trials.stream().map(t -> Report.number(t.perSecond(), "records/s")).toList())
                + " records/s";
        if (trials.stream().allMatch(t -> t.cpuMicrosPerRecord() >= 0)) {
            text += "; process CPU " + String.join(" / ", trials.stream()
                    .map(t -> String.format(Locale.ROOT, "%.2f", t.cpuMicrosPerRecord())).toList()) + " us per record";
        }
        String split = medianSplit(trials);
        if (!split.isEmpty()) {
            text += "; by thread, medians: " + split + " us per record";
        }
        return text;
    }

    /**
     * The median over trials of each kind of thread's CPU per record ({@link ThreadKindCpu}), e.g. "appending 1.20,
     * producer I/O 0.80, ..."; empty if the trials' CPU was not split. Which part of the process a difference in CPU
     * per record between two clients comes from.
     */
    static String medianSplit(List<Throughput> trials) {
        StringBuilder b = new StringBuilder();
        for (String kind : ThreadKindCpu.KINDS) {
            List<Double> us = trials.stream().map(t -> t.cpuMicrosPerRecord(kind)).filter(v -> !Double.isNaN(v)).toList();
            if (us.size() == trials.size() && !us.isEmpty()) {
                double m = median(us);
                if (m >= 0.005) {
                    b.append(b.isEmpty() ? "" : ", ").append(kind).append(' ')
                            .append(String.format(Locale.ROOT, "%.2f", m));
                }
            }
        }
        return b.toString();
    }

    /**
     * Side by side, collects the garbage of the trial before (all clients share this JVM, and the broker when it
     * runs in it) before a measured trial starts, so no trial pays for the previous one's allocations: without it, a
     * consume run right after a heavier append run paid for that run's young collections, and so did whichever side
     * came next. Not for a single client, whose recorded figures were measured without it.
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
        if (t.cpuMicrosPerRecord() < 0) {
            return "process CPU unknown";
        }
        String split = ThreadKindCpu.perRecord(t.cpuByKind(), t.records());
        return String.format(Locale.ROOT, "%.2f us CPU/record", t.cpuMicrosPerRecord())
                + (split.isEmpty() ? "" : " (" + split + ")");
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
