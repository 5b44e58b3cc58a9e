package io.tributary.bench.eventstore;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tributary.bench.internal.Figure;
import io.tributary.bench.internal.PairedRatio;
import io.tributary.bench.internal.Report;
import io.tributary.bench.internal.ScratchDir;
import io.tributary.eventstore.AggregateRepository;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.Decider;
import io.tributary.eventstore.Decision;
import io.tributary.eventstore.EventCodec;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PositionStrategy;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.RepositoryConfig;
import io.tributary.eventstore.Snapshot;
import io.tributary.eventstore.StateCodec;
import io.tributary.log.EmbeddedLogConfig;
import io.tributary.log.EventLogs;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary bench eventstore}: durable appends (1 and 10 events per append; one hot stream and 10,000
 * streams; 1 and N threads) with p50/p99 latency, appends paced at a fixed rate (latency measured from the intended
 * start, so queueing counts), rehydrating a 10,000-event aggregate with and without a snapshot, and {@code $all}
 * catch-up, on the embedded backend (log engine, fsync=always) and on PostgreSQL (synchronous commit), and on
 * PostgreSQL with both position strategies.
 *
 * <p>Run: {@code ./tributary bench eventstore [--backend embedded|postgres|both] [--events 20000] [--threads 4]
 * [--rate 10000] [--paced-seconds 2] [--paced-baseline] [--only appends|paced|reads] [--setting key=value]...
 * [--append-shape 1x4x10000]... [--position-strategy transaction_id|serialised|both] [--vs axon [--pairs N]] [--json]}.
 * Every append workload starts on an empty store; the paced one measures after a
 * warm-up at the same rate of 1 s, or more (at most 10 s) while the JIT is still compiling, and splits its process
 * CPU per append by thread: appending threads, timers (the pacer), the log's sync thread, GC, JIT.
 *
 * <p>With {@code --vs axon}, the PostgreSQL append workloads (transaction_id strategy) run as paired trials against
 * Axon's ({@link #pairedAppend}): one trial per side is worth little on a 2-core machine (±8% between runs), so each
 * workload's verdict against the target, at least Axon's rate, comes from the interval of the median of the
 * per-pair ratios ({@link PairedRatio}) and may be "undecided". {@code --pairs 1} runs one trial per side and prints
 * the plain ratio, as before. {@code --append-shape} selects which append workloads run, paired or not.
 * Not thread-safe: one run at a time.
 */
@Command(name = "eventstore", mixinStandardHelpOptions = true,
        description = "Event store: durable appends, latency at a fixed rate, rehydrate with/without snapshot, $all catch-up.")
public final class EventStoreBench implements Callable<Integer> {

    @Option(names = "--backend", defaultValue = "both", description = "embedded, postgres or both (default ${DEFAULT-VALUE})")
    String backend = "both";

    @Option(names = "--events", defaultValue = "20000", description = "events per append workload; in paired trials "
            + "(--vs axon, --pairs above 1), the most per trial (default ${DEFAULT-VALUE})")
    int events = 20_000;

    @Option(names = "--threads", defaultValue = "4", description = "writer threads of the concurrent workloads (default ${DEFAULT-VALUE})")
    int threads = 4;

    @Option(names = "--rate", defaultValue = "10000", description = "appends/s of the paced latency workload, embedded only (default ${DEFAULT-VALUE})")
    int rate = 10_000;

    @Option(names = "--paced-seconds", defaultValue = "2", description = "measured seconds of the paced workload, "
            + "after a warm-up at the same rate that is not counted: 1 s, or up to 10 s while the JIT is busy (default ${DEFAULT-VALUE})")
    int pacedSeconds = 2;

    @Option(names = "--paced-baseline", description = "after the paced workload, run it against a no-op store: "
            + "the latency the harness and the machine add with no store involved")
    boolean pacedBaseline;

    @Option(names = "--paced-platform-callers", description = "an experiment, not the issue's workload: the paced "
            + "workload's 64 callers are platform threads that each sleep until their own slot is due, with no pacer "
            + "and no virtual threads (what the store costs when the caller's wake-ups are the cheapest the JVM has); "
            + "their CPU, sleeps included, is then the 'appending threads' figure and 'timers' is 0")
    boolean pacedPlatformCallers;

    @Option(names = "--only", description = "run one group of workloads: appends, paced (embedded only) or reads (default: all)")
    String only;

    @Option(names = "--append-shape", description = "run only this append workload, BATCHxTHREADSxSTREAMS (e.g. 1x4x10000:"
            + " 1 event per append, 4 threads, 10,000 streams), repeatable, for A/B runs of one row; implies --only"
            + " appends (default: all seven)")
    List<String> appendShapes = new ArrayList<>();

    @Option(names = "--position-strategy", defaultValue = "both", description = "PostgreSQL position strategies to run:"
            + " transaction_id, serialised or both (default ${DEFAULT-VALUE}; the peer runs with transaction_id only);"
            + " with --backend postgres or both")
    String positionStrategy = "both";

    @Option(names = "--setting", description = "a setting of the embedded store or its log, key=value, repeatable, for "
            + "A/B runs (e.g. tributary.log.embedded.segment-preallocate-bytes=0)")
    Map<String, String> embeddedSettings = new java.util.LinkedHashMap<>();

    @Option(names = "--pg-url", defaultValue = "jdbc:postgresql://127.0.0.1:5432/postgres", description = "PostgreSQL JDBC URL (user postgres)")
    String pgUrl = "jdbc:postgresql://127.0.0.1:5432/postgres";

    @Option(names = "--dir", description = "folder for the embedded store (default: a temporary folder, deleted after)")
    Path dir;

    @Option(names = "--json", description = "print the figures as one JSON object on the last line")
    boolean json;

    @Option(names = "--vs", description = "also run the peer on the same PostgreSQL and print ratios: axon (Axon Framework 4.13 JdbcEventStorageEngine)")
    String vs;

    @Option(names = "--pairs", paramLabel = "N", description = "With --vs axon: paired trials per PostgreSQL append "
            + "workload (transaction_id strategy), an even number, ours and Axon's taking turns in a mirrored order "
            + "(ABBA, so each side leads half the rounds) on tables "
            + "of the same size, each trial about " + TRIAL_SECONDS + " s (at most --events events); reports each "
            + "side's median events/s, the median of the per-pair ratios ours/axon with a 90%% interval and its "
            + "min-max, and whether that interval clears 1x (above, below or undecided; fewer than 5 pairs never "
            + "decide). 1: one trial of --events per side, the single-run output (default with --vs axon: "
            + DEFAULT_PAIRS + ")")
    @Nullable Integer pairs;

    private AxonPeer axon;

    /**
     * Events in the PostgreSQL store {@code fresh} opened last (its {@code es_events} rows), while the PostgreSQL
     * workloads run; paired trials check with it that both sides did the same work.
     */
    private @Nullable LongSupplier oursStoredEvents;

    /**
     * Paired trials per workload with {@code --vs axon} unless {@code --pairs} says otherwise. Each round runs the 7
     * workloads, each trial about {@link #TRIAL_SECONDS} per side; with each workload's warm-up and the serialised
     * strategy's single runs, {@code --backend postgres --only appends --vs axon} took 3 min 44 s with 8 pairs (load
     * average 7-8 from other work on 2 cores), 6 min 19 s with 12 (load 9-12) and 6 min 8 s with 10 (load 10-12,
     * 1 min 40 s of it the serialised runs), so 10 make it about 5 minutes on the machine this was sized on, a
     * little more when it is as busy as that. Even, so the mirrored order puts each side first in half the rounds; the
     * interval is then the 2nd to 9th of the sorted ratios (98% coverage), so one stray round on either side cannot
     * decide it ({@link PairedRatio#low}).
     */
    static final int DEFAULT_PAIRS = 10;

    /**
     * What a paired trial aims to last: long enough for a few thousand commits at the slowest workload's rate,
     * short enough for {@link #DEFAULT_PAIRS} rounds of every workload in about 5 minutes.
     */
    static final double TRIAL_SECONDS = 1.5;

    /**
     * Fewest events of a paired trial (unless {@code --events} is smaller), however slow the first warm-up was. 1,000
     * stretched the one-hot-stream trials to 2.3 s at load 9-12 (430 events/s), and the run with them.
     */
    static final int MIN_TRIAL_EVENTS = 500;

    /** The PostgreSQL target: at least Axon's events/s on every append workload of the same run. */
    static final double AXON_TARGET = 1.0;

    /** Sides of a paired trial, as {@link PairedRatio#roundOrder} numbers them. */
    private static final int OURS = 0;
    private static final int AXON = 1;

    /** Writers of the group-commit workload and of the paced workload (Little's law: rate x latency in flight). */
    static final int GROUP_COMMIT_WRITERS = 64;

    private final List<String> figures = new ArrayList<>();
    private static final byte[] PAYLOAD = ("{\"orderId\":\"" + UUID.randomUUID() + "\",\"sku\":\"ABC-123\",\"qty\":2,\"price\":1999}")
            .getBytes(StandardCharsets.UTF_8);

    public static void main(String[] args) {
        System.exit(new CommandLine(new EventStoreBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (only != null && !List.of("appends", "paced", "reads").contains(only)) {
            System.err.println("--only " + only + " is not a workload group; use appends, paced or reads");
            return 2;
        }
        List<String> shapes = appendShapes();
        for (String shape : appendShapes) {
            if (!shapes.contains(shape)) {
                System.err.println("--append-shape " + shape + " is not one of the append workloads (BATCHxTHREADSxSTREAMS,"
                        + " with --threads " + threads + "): " + String.join(", ", shapes));
                return 2;
            }
        }
        if (!appendShapes.isEmpty() && only != null && !only.equals("appends")) {
            System.err.println("--append-shape selects append workloads, which --only " + only + " does not run");
            return 2;
        }
        if (!List.of("transaction_id", "serialised", "both").contains(positionStrategy)) {
            System.err.println("--position-strategy " + positionStrategy + " is not transaction_id, serialised or both");
            return 2;
        }
        if (!positionStrategy.equals("both") && backend.equals("embedded")) {
            System.err.println("--position-strategy " + positionStrategy + " applies to the PostgreSQL backend, which"
                    + " --backend embedded does not run; use --backend postgres or both");
            return 2;
        }
        if (!appendShapes.isEmpty()) {
            // One append row was asked for: running the paced and read groups too would only lengthen the A/B run.
            only = "appends";
        }
        if (positionStrategy.equals("serialised") && vs != null) {
            System.err.println("--vs " + vs + " compares the transaction_id strategy only, which --position-strategy"
                    + " serialised does not run");
            return 2;
        }
        if (pacedSeconds < 1 || rate < 1) {
            System.err.println("--paced-seconds " + pacedSeconds + " and --rate " + rate + " must be at least 1");
            return 2;
        }
        // refuse what would silently run something other than what was asked
        if (backend.equals("postgres") && ("paced".equals(only) || !embeddedSettings.isEmpty())) {
            System.err.println(("paced".equals(only) ? "--only paced" : "--setting") + " applies to the embedded"
                    + " backend only, so with --backend postgres it would run or change nothing; use --backend embedded or both");
            return 2;
        }
        for (String key : List.of(EventStores.BACKEND, "tributary.eventstore.embedded.index-dir", EventLogs.BACKEND,
                EmbeddedLogConfig.DATA_DIR)) {
            if (embeddedSettings.containsKey(key)) {
                System.err.println("--setting " + key + " cannot be overridden: the bench sets it for each run (use --dir"
                        + " for the folder)");
                return 2;
            }
        }
        if (vs != null && !vs.equals("axon")) {
            System.err.println("--vs " + vs + " is not a known peer; use --vs axon");
            return 2;
        }
        if (pairs != null) {
            String refused = pairsRefused();
            if (refused != null) {
                System.err.println(refused);
                return 2;
            }
        }
        // In paired mode --events only caps each trial (whose size follows the rates), so the header must not
        // present it as the workload's size, which a reader would take as the events behind each paired figure.
        System.out.printf("tributary bench eventstore: %d events per append workload%s, %d threads, %d cores%n",
                events, paired() ? " (the paired ones: at most " + events + " per trial)" : "", threads,
                Runtime.getRuntime().availableProcessors());
        if (paired()) {
            System.out.printf(Locale.ROOT, "PostgreSQL appends vs axon: %d paired trials per workload in ABBA order, "
                    + "each about %s s (at most %d events), on tables of the same size; target >= %sx%n",
                    pairs(), Figure.Verdict.trim(TRIAL_SECONDS), events, Figure.Verdict.trim(AXON_TARGET));
        }
        if (backend.equals("embedded") || backend.equals("both")) {
            runEmbedded();
        }
        if (backend.equals("postgres") || backend.equals("both")) {
            if (vs != null) {
                axon = new AxonPeer(pgUrl);
            }
            try {
                if (!positionStrategy.equals("serialised")) {
                    runPostgres(PositionStrategy.TRANSACTION_ID, true);
                }
                AxonPeer peer = axon;
                axon = null; // the serialised strategy is compared with ours only
                if (!positionStrategy.equals("transaction_id")) {
                    runPostgres(PositionStrategy.SERIALISED, false);
                }
                axon = peer;
            } finally {
                if (axon != null) {
                    axon.close();
                }
            }
        }
        if (json) {
            System.out.println("{\"suite\":\"eventstore\"," + (paired() ? "\"pairs\":" + pairs() + "," : "")
                    + "\"figures\":[" + String.join(",", figures) + "]}");
        }
        return 0;
    }

    /** Why {@code --pairs} cannot be honoured as given, or null: it would change nothing, or make no sense. */
    private @Nullable String pairsRefused() {
        if (pairs < 1 || pairs > 100) {
            return "--pairs " + pairs + " must be between 1 and 100";
        }
        if (pairs > 1 && pairs % 2 == 1) {
            // The mirrored order (AB BA BA AB ...) puts each side first in half the rounds only over an even count:
            // with an odd one, ours leads one round more, which is the bias the pairing is there to cancel.
            return "--pairs " + pairs + " is odd: the mirrored order (ABBA) lets each side lead half the rounds only"
                    + " over an even number of pairs; use --pairs " + (pairs - 1) + " or " + (pairs + 1)
                    + " (or 1 for a single run)";
        }
        if (!"axon".equals(vs) || backend.equals("embedded") || (only != null && !only.equals("appends"))) {
            return "--pairs pairs the PostgreSQL append workloads with Axon's, so it needs --vs axon, --backend "
                    + "postgres or both, and the appends (no --only, or --only appends); as given it would pair nothing";
        }
        return null;
    }

    /** Paired trials per append workload against Axon: {@code --pairs}, else {@link #DEFAULT_PAIRS}. */
    int pairs() {
        return pairs != null ? pairs : DEFAULT_PAIRS;
    }

    /** Whether the PostgreSQL appends run as paired trials against Axon (with {@code --pairs 1}: one trial each). */
    private boolean paired() {
        return "axon".equals(vs) && !backend.equals("embedded") && runs("appends") && pairs() > 1;
    }

    // ---- backends ----

    private void runEmbedded() throws Exception {
        try (ScratchDir scratch = ScratchDir.open(dir, "tributary-bench-es-", new PrintWriter(System.err, true))) {
            Path root = scratch.root();
            int[] n = {0};
            Supplier<EventStore> fresh = () -> {
                Path d = root.resolve("run-" + n[0]++);
                // Through the settings, as an application would: the store opens (and closes) its own log.
                Map<String, String> settings = new java.util.HashMap<>(embeddedSettings);
                settings.putAll(Map.of(EventStores.BACKEND, "embedded",
                        "tributary.eventstore.embedded.index-dir", d.resolve("index").toString(),
                        EventLogs.BACKEND, "embedded", EmbeddedLogConfig.DATA_DIR, d.resolve("log").toString()));
                return EventStores.open(settings);
            };
            if (runs("appends")) {
                appendWorkloads("embedded", fresh);
            }
            if (runs("paced")) {
                try (EventStore s = fresh.get()) {
                    pacedFigures(pacedPlatformCallers ? "embedded, platform callers," : "embedded",
                            stream -> s.append(stream, ExpectedVersion.any(), EventData.of("Tick", PAYLOAD)));
                }
                if (pacedBaseline) {
                    // The harness alone: the same pacer and 64 writers, appends that do nothing. Its tail is what the
                    // machine's scheduling (and the pacing) adds before any store is involved. After the store's
                    // run, not before: a no-op append first made the append call site bimorphic, and the store's
                    // run then allocated ~30% more per append (4.0-4.3 KB instead of 3.1-3.3 KB).
                    pacedFigures("harness only (no-op store)", stream -> { });
                }
            }
            if (runs("reads")) {
                try (EventStore s = fresh.get()) {
                    readWorkloads("embedded", s);
                }
            }
        }
    }

    private void runPostgres(PositionStrategy strategy, boolean withReads) throws Exception {
        String label = "postgres[" + strategy.name().toLowerCase(Locale.ROOT) + "]";
        List<String> schemas = new ArrayList<>();
        Supplier<EventStore> fresh = () -> {
            String schema = "es_bench_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
            schemas.add(schema);
            return EventStores.postgres(PostgresEventStoreConfig.of(pgUrl).withSchema(schema)
                    .withPositionStrategy(strategy).withMaxPoolSize(16));
        };
        oursStoredEvents = () -> {
            try (Connection c = DriverManager.getConnection(pgUrl, "postgres", ""); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT count(*) FROM " + schemas.getLast() + ".es_events")) {
                rs.next();
                return rs.getLong(1);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("could not count the events of schema " + schemas.getLast(), e);
            }
        };
        try {
            if (runs("appends")) {
                appendWorkloads(label, fresh);
            }
            if (withReads && runs("reads")) {
                try (EventStore s = fresh.get()) {
                    readWorkloads(label, s);
                }
            }
        } finally {
            oursStoredEvents = null;
            try (Connection c = DriverManager.getConnection(pgUrl, "postgres", ""); Statement st = c.createStatement()) {
                for (String s : schemas) {
                    st.execute("DROP SCHEMA IF EXISTS " + s + " CASCADE");
                }
            }
        }
    }

    /** Whether {@code --only} lets the workload group {@code group} run (every group runs without it). */
    private boolean runs(String group) {
        return only == null || only.equals(group);
    }

    // ---- workloads ----

    /** The append workloads as batch, writers, streams, in the order they run. */
    private int[][] appendWorkloadShapes() {
        return new int[][] {{1, 1, 10_000}, {1, threads, 10_000}, {10, 1, 10_000}, {10, threads, 10_000},
            // Group commit needs appends in flight: many writers share one fsync (one WAL flush on PostgreSQL).
            {10, GROUP_COMMIT_WRITERS, 10_000}, {1, 1, 1}, {10, 1, 1}};
    }

    /** The names {@code --append-shape} accepts, BATCHxTHREADSxSTREAMS. */
    private List<String> appendShapes() {
        List<String> out = new ArrayList<>();
        for (int[] w : appendWorkloadShapes()) {
            String shape = w[0] + "x" + w[1] + "x" + w[2];
            if (!out.contains(shape)) {
                out.add(shape);
            }
        }
        return out;
    }

    private void appendWorkloads(String label, Supplier<EventStore> fresh) throws Exception {
        for (int[] w : appendWorkloadShapes()) {
            append(label, fresh, w[0], w[1], w[2]);
        }
    }

    /** {@code total events} appended in batches of {@code batch} by {@code writers} threads over {@code streams} streams. */
    private void append(String label, Supplier<EventStore> fresh, int batch, int writers, int streams) throws Exception {
        if (!appendShapes.isEmpty() && !appendShapes.contains(batch + "x" + writers + "x" + streams)) {
            return;
        }
        if (axon != null && pairs() > 1) {
            pairedAppend(appendName(label, batch, writers, streams), fresh, batch, writers, streams);
            return;
        }
        try (EventStore store = fresh.get()) {
            // warm-up: JIT and connections, not counted
            runAppends(store, batch, writers, streams, Math.min(2_000, events / 5), "warm-");
            Histogram latency = new Histogram(60_000_000_000L, 3);
            long start = System.nanoTime();
            runAppends(store, batch, writers, streams, events, "", latency);
            double seconds = (System.nanoTime() - start) / 1e9;
            String name = appendName(label, batch, writers, streams);
            report(name, events / seconds, "events/s", latency);
            if (axon != null) {
                axon.truncate();
                axon.appends(batch, writers, streams, Math.min(2_000, events / 5), "warm-", null);
                Histogram peerLatency = new Histogram(60_000_000_000L, 3);
                long t0 = System.nanoTime();
                axon.appends(batch, writers, streams, events, "", peerLatency);
                double peerRate = events / ((System.nanoTime() - t0) / 1e9);
                compare(name, "events/s", events / seconds, peerRate);
                compare(name + " p50", "us", latency.getValueAtPercentile(50) / 1000.0, peerLatency.getValueAtPercentile(50) / 1000.0);
                compare(name + " p99", "us", latency.getValueAtPercentile(99) / 1000.0, peerLatency.getValueAtPercentile(99) / 1000.0);
            }
        }
    }

    private static String appendName(String label, int batch, int writers, int streams) {
        return String.format("%s append %d event%s/append, %s, %d thread%s", label, batch, batch == 1 ? "" : "s",
                streams == 1 ? "one hot stream" : streams + " streams", writers, writers == 1 ? "" : "s");
    }

    /**
     * One append workload as {@link #pairs()} paired trials of ours against Axon. Each side has one store for the
     * whole workload (ours: a fresh schema; Axon: its tables truncated) and warms it up first, uncounted, in the first
     * round's order. Then, round by round, both sides append the same number of events, in the order
     * {@link PairedRatio#roundOrder} gives (ABBA), each round to new streams (prefix {@code r<round>-}), so at every
     * trial both sides' tables hold the same number of events: the warm-up's plus the rounds' before it. A round's
     * count aims at {@link #TRIAL_SECONDS} at the slower side's median rate so far (its warm-up's before the first
     * round), at least {@link #MIN_TRIAL_EVENTS}, at most {@code --events}; each trial starts after an untimed GC and
     * pause ({@link #settle}). After the rounds both tables are counted, and a difference fails the run. The latency
     * figures pool every measured append of a side; the rate is each side's median, and the ratio the median of the
     * per-round ratios.
     */
    private void pairedAppend(String name, Supplier<EventStore> fresh, int batch, int writers, int streams)
            throws Exception {
        try (EventStore store = fresh.get()) {
            axon.truncate();
            int warm = warmEvents(batch, writers, events);
            double[] warmRate = new double[2];
            for (int side : PairedRatio.roundOrder(2, 0)) {
                warmRate[side] = warm / seconds(() -> {
                    if (side == OURS) {
                        runAppends(store, batch, writers, streams, warm, "warm-");
                    } else {
                        axon.appends(batch, writers, streams, warm, "warm-", null);
                    }
                });
            }
            List<Double> ours = new ArrayList<>();
            List<Double> theirs = new ArrayList<>();
            List<Integer> counts = new ArrayList<>();
            Histogram oursLatency = new Histogram(60_000_000_000L, 3);
            Histogram peerLatency = new Histogram(60_000_000_000L, 3);
            for (int round = 0; round < pairs(); round++) {
                double slower = Math.min(warmRate[OURS], warmRate[AXON]);
                if (!ours.isEmpty()) {
                    PairedRatio soFar = new PairedRatio(ours, theirs);
                    slower = Math.min(soFar.medianOurs(), soFar.medianReference());
                }
                int count = trialEvents(slower, batch, events);
                counts.add(count);
                String prefix = "r" + round + "-";
                double[] rate = new double[2];
                for (int side : PairedRatio.roundOrder(2, round)) {
                    settle();
                    rate[side] = count / seconds(() -> {
                        if (side == OURS) {
                            runAppends(store, batch, writers, streams, count, prefix, oursLatency);
                        } else {
                            axon.appends(batch, writers, streams, count, prefix, peerLatency);
                        }
                    });
                    System.err.printf(Locale.ROOT, "[bench] %-4s %s: %,.1f events/s (round %d of %d, %,d events)%n",
                            side == OURS ? "ours" : "axon", name, rate[side], round + 1, pairs(), count);
                }
                ours.add(rate[OURS]);
                theirs.add(rate[AXON]);
            }
            // The pairing's premise, checked rather than assumed: both sides appended the same events, so each
            // round's trials ran on tables of the same size and the ratios compare like with like.
            long expected = warm + counts.stream().mapToLong(Integer::longValue).sum();
            long oursStored = oursStoredEvents.getAsLong();
            long peerStored = axon.storedEvents();
            if (oursStored != expected || peerStored != expected) {
                throw new IllegalStateException(name + ": after " + pairs() + " paired trials our store holds "
                        + oursStored + " events and Axon's " + peerStored + ", where each should hold " + expected
                        + " (warm-up " + warm + " + rounds " + counts + "); the sides did not do the same work, so "
                        + "their ratios mean nothing: a bug of the bench's pairing (pairedAppend), not of either store");
            }
            PairedRatio paired = new PairedRatio(ours, theirs);
            // Named apart from a single run's figures (and from runs with another --pairs): a median of trials sized
            // by the rates and latencies pooled over them are other figures than one run of --events, and whoever
            // collects figures by name across runs must not put them side by side.
            String rate = pairedName(name, pairs());
            String pooled = " (pooled over " + pairs() + " paired trials)";
            figure(rate, paired.medianOurs(), "events/s");
            figure(name + " p50" + pooled, oursLatency.getValueAtPercentile(50) / 1000.0, "us");
            figure(name + " p99" + pooled, oursLatency.getValueAtPercentile(99) / 1000.0, "us");
            System.out.println(pairedLine(rate, paired));
            figures.add(pairedJson(rate, paired, counts, warm, expected).toString());
            compare(name + " p50" + pooled, "us", oursLatency.getValueAtPercentile(50) / 1000.0,
                    peerLatency.getValueAtPercentile(50) / 1000.0);
            compare(name + " p99" + pooled, "us", oursLatency.getValueAtPercentile(99) / 1000.0,
                    peerLatency.getValueAtPercentile(99) / 1000.0);
        }
    }

    /**
     * Events each side appends to warm up a paired workload: a fifth of {@code --events} ({@code max}), at most 2,000,
     * but at least {@link #WARM_APPENDS_PER_WRITER} appends per writer (within {@code max}), at least one append, in
     * whole appends of {@code batch}. Both sides append whole batches only, so a count that is not one would be
     * rounded down by the appends while the warm-up's rate (and with it the first round's size) divided by the
     * number asked for.
     */
    static int warmEvents(int batch, int writers, int max) {
        int wanted = Math.max(Math.min(2_000, max / 5), Math.min(max, writers * batch * WARM_APPENDS_PER_WRITER));
        return Math.max(batch, wanted) / batch * batch;
    }

    /**
     * Appends each writer makes, at least, in a paired workload's warm-up. 2,000 events were 3 appends per writer of
     * the 64-writer workload, and on our side (first in that round) its first round then ran at 0.36-0.62x of its
     * second in 3 of 4 logged runs at load 7-12 (6.2k against 9.9k, 16.8k against 31.3k, 9.6k against 26.5k
     * events/s), once 0.25x Axon's: a stray ratio in most runs. 10 per writer (6,400 events) was not enough: 13.8k
     * in round 1 against 19-38k in rounds 2-6 (one run, load 4-6). 32 (20,480 events, so --events' 20,000 by
     * default, a second or two per side once per workload): round 1 at 40.0k and 35.2k against 42-55k and 16-35k
     * in the rounds after (two runs, load 3-6), no longer the low one. A few runs on a shared machine show no
     * cause; the first trial after the warm-ups was simply not yet at the pace of the rest.
     */
    static final int WARM_APPENDS_PER_WRITER = 32;

    /** Pause before each timed paired trial, after an explicit GC, neither of them timed. */
    static final long SETTLE_MS = 50;

    /**
     * Before a timed paired trial: a full GC and a short pause, untimed. The sides' trials run back to back in one
     * JVM, so without it the garbage one side's trial left would be collected during the other side's trial and
     * charged to it, and which side pays would follow the round order rather than the store; the pause lets what the
     * previous trial and the GC set off (concurrent GC work, PostgreSQL's WAL writer and background writer) calm down
     * before the clock starts.
     */
    private static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(SETTLE_MS);
    }

    /** The name of a paired workload's rate figure: the workload's, and that it is a median of {@code pairs} trials. */
    static String pairedName(String workload, int pairs) {
        return workload + " (median of " + pairs + " paired trials)";
    }

    /** Something timed: it throws what the appends throw. */
    private interface Timed {
        void run() throws Exception;
    }

    private static double seconds(Timed work) throws Exception {
        long t0 = System.nanoTime();
        work.run();
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Events of one paired trial for a side appending {@code rate} events/s: about {@link #TRIAL_SECONDS}, at least
     * {@link #MIN_TRIAL_EVENTS}, at most {@code max}, a whole number of appends of {@code batch} (at least one).
     */
    static int trialEvents(double rate, int batch, int max) {
        double wanted = Math.max(MIN_TRIAL_EVENTS, rate * TRIAL_SECONDS);
        long capped = (long) Math.min(wanted, max);
        return (int) Math.max(batch, capped / batch * batch);
    }

    /**
     * The comparison row of paired trials: each side's median events/s, the median per-pair ratio with its 90%
     * interval and min-max, and the verdict against {@link #AXON_TARGET}.
     */
    static String pairedLine(String name, PairedRatio paired) {
        return String.format(Locale.ROOT, "%-100s %,14.1f %s   axon %,.1f   x%.2f [%.2f-%.2f] min-max %.2f-%.2f, "
                        + "%d pairs (ours/axon, median of the per-pair ratios); >= %sx: %s", "  vs axon: " + name,
                paired.medianOurs(), "events/s", paired.medianReference(), paired.medianRatio(), paired.low(),
                paired.high(), paired.minRatio(), paired.maxRatio(), paired.pairs(), Figure.Verdict.trim(AXON_TARGET),
                paired.against(AXON_TARGET).word());
    }

    /**
     * The JSON of {@link #pairedLine}: the single-run comparison's fields ({@code value} and {@code peerValue} are
     * the medians, {@code ratio} the median per-pair ratio), then as in {@code bench log}'s paired rows
     * ({@link Report#json}): {@code ratio_of_medians}, the {@code target} with its verdict (e.g. {@code >= 1x
     * (above)}) and whether it was {@code met}; the events of each round's trials ({@code trial_events}), of each
     * side's warm-up ({@code warmup_events}) and in each side's table at the end ({@code stored_events}: the same,
     * checked), and {@code paired} with the fields {@code bench log} reports for its paired trials
     * ({@link Report#paired}).
     */
    static ObjectNode pairedJson(String name, PairedRatio paired, List<Integer> counts, int warmupEvents,
                                 long storedEvents) {
        PairedRatio.Outcome verdict = paired.against(AXON_TARGET);
        // The target's text and the new fields as bench log's paired rows have them (Report#json), so one reader
        // of paired rows reads both benches: ">= 1x (above)", ratio_of_medians, snake_case.
        Figure.Verdict target = Figure.Verdict.pairedAtLeast(paired, AXON_TARGET);
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("name", name);
        n.put("unit", "events/s");
        n.put("value", Math.round(paired.medianOurs() * 10) / 10.0);
        n.put("peer", "axon");
        n.put("peerValue", Math.round(paired.medianReference() * 10) / 10.0);
        n.put("ratio", Math.round(paired.medianRatio() * 1000) / 1000.0);
        n.put("ratio_of_medians", Math.round(paired.medianOurs() / paired.medianReference() * 1000) / 1000.0);
        n.put("target", target.text());
        n.put("met", target.met());
        ArrayNode trialEvents = n.putArray("trial_events");
        counts.forEach(trialEvents::add);
        n.put("warmup_events", warmupEvents);
        n.put("stored_events", storedEvents);
        n.set("paired", Report.paired(paired, verdict.word(), null));
        return n;
    }

    /** Prints the peer's figure and the ratio ours/peer (for latencies, lower is better: the ratio is peer/ours). */
    private void compare(String name, String unit, double ours, double peer) {
        boolean lowerIsBetter = unit.equals("us") || unit.equals("ms/load");
        double ratio = lowerIsBetter ? peer / ours : ours / peer;
        System.out.printf(Locale.ROOT, "%-100s %,14.1f %s   axon %,.1f   x%.2f %s%n", "  vs axon: " + name, ours, unit,
                peer, ratio, lowerIsBetter ? "(axon/ours)" : "(ours/axon)");
        figures.add(String.format(Locale.ROOT,
                "{\"name\":\"%s\",\"unit\":\"%s\",\"value\":%.1f,\"peer\":\"axon\",\"peerValue\":%.1f,\"ratio\":%.3f}",
                name.replace("\"", "'"), unit, ours, peer, ratio));
    }

    private void runAppends(EventStore store, int batch, int writers, int streams, int total, String prefix) throws Exception {
        runAppends(store, batch, writers, streams, total, prefix, null);
    }

    private void runAppends(EventStore store, int batch, int writers, int streams, int total, String prefix,
                            Histogram latency) throws Exception {
        int appends = total / batch;
        AtomicLong next = new AtomicLong();
        long[] versions = new long[streams];
        java.util.Arrays.fill(versions, -1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                fs.add(pool.submit(() -> {
                    Histogram local = new Histogram(60_000_000_000L, 3);
                    long i;
                    while ((i = next.getAndIncrement()) < appends) {
                        int s = (int) (i % streams);
                        List<EventData> data = new ArrayList<>(batch);
                        for (int b = 0; b < batch; b++) {
                            data.add(EventData.of("ItemAdded", PAYLOAD));
                        }
                        long t0 = System.nanoTime();
                        // One hot stream with one writer appends with the exact expected version, as an aggregate does;
                        // shared streams use 'any' so the figure is the store's, not the conflict rate's.
                        if (streams == 1 && writers == 1) {
                            versions[0] = store.append(prefix + "hot-0", versions[0] < 0 ? ExpectedVersion.noStream()
                                    : ExpectedVersion.exactly(versions[0]), data).lastVersion();
                        } else {
                            store.append(prefix + "order-" + s, ExpectedVersion.any(), data);
                        }
                        local.recordValue(System.nanoTime() - t0);
                    }
                    if (latency != null) {
                        synchronized (latency) {
                            latency.add(local);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.MINUTES);
            }
        }
    }

    /** One append of the paced workload to {@code stream}. */
    @FunctionalInterface
    private interface PacedAppend {
        void append(String stream) throws Exception;
    }

    /** Warm-up, then the measured paced pass, and its figures (latency, CPU and allocation per append). */
    private void pacedFigures(String label, PacedAppend append) throws Exception {
        // listening from the warm-up on: its pauses teach the log how the JVM's pause stamps map onto nanoTime
        PauseLog pauses = PauseLog.start();
        try {
            pacedFiguresListening(label, append, pauses);
        } finally {
            pauses.stop();
        }
    }

    private void pacedFiguresListening(String label, PacedAppend append, PauseLog pauses) throws Exception {
        // Warm-up at the same rate, not counted: a cold JVM (interpreted code, class loading, the first G1 pause)
        // used to put most of the run's over-2-ms appends in its first 200 ms, so the p99 was the JIT's more than
        // the store's. At least 1 s, then more seconds while the JIT is still busy (at most PACED_WARMUP_MAX_SECONDS):
        // on the loaded 2-core machine C2 was still compiling through a 1-s warm-up and the 2-s window after it
        // (JIT threads 15-17% of the process's CPU samples in that window), so "CPU per append" was part compiler.
        var jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        int warmRound = Math.max(rate, 2_500) / GROUP_COMMIT_WRITERS * GROUP_COMMIT_WRITERS;
        for (int s = 0; s < PACED_WARMUP_MAX_SECONDS; s++) {
            long compiling0 = jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
            paced(append, rate, GROUP_COMMIT_WRITERS, warmRound, "warm-", null);
            long compilingMs = jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() - compiling0 : 0;
            if (compilingMs < PACED_WARMUP_QUIET_JIT_MS) {
                break;
            }
        }
        Histogram latency = new Histogram(60_000_000_000L, 3);
        // a whole number of appends per writer, so the per-append figures divide by what actually ran
        int total = Math.max(rate * pacedSeconds, 5_000) / GROUP_COMMIT_WRITERS * GROUP_COMMIT_WRITERS;
        // CPU time and allocation per append do not depend on what else the machine runs (unlike the latencies on
        // a shared one), so they show a store change's cost when the tail is noise.
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        var threadsBean = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        Map<Long, ThreadCpu> threads0 = threadCpu(threadsBean);
        Map<String, Long> jvm0 = jvmThreadCpu();
        long cpu0 = os.getProcessCpuTime();
        long alloc0 = threadsBean.getTotalThreadAllocatedBytes();
        PacedTimeline timeline = new PacedTimeline();
        double perSecond = paced(append, rate, GROUP_COMMIT_WRITERS, total, "", latency, timeline);
        long passEnd = System.nanoTime();
        long cpuNs = os.getProcessCpuTime() - cpu0;
        long allocated = threadsBean.getTotalThreadAllocatedBytes() - alloc0;
        Map<Long, ThreadCpu> threads1 = threadCpu(threadsBean);
        Map<String, Long> jvm1 = jvmThreadCpu();
        String name = String.format("%s paced 1 event/append at %d appends/s, %d threads", label, rate,
                GROUP_COMMIT_WRITERS);
        report(name, perSecond, "appends/s", latency);
        // The paced target is a tail figure: p99.9 shows whether a p99 under target hides a cliff just behind it.
        figure(name + " p99.9", latency.getValueAtPercentile(99.9) / 1000.0, "us");
        figure(name + " process CPU per append", cpuNs / 1000.0 / total, "us");
        figure(name + " allocated per append", (double) allocated / total, "bytes");
        // What the slow appends waited on: a GC pause, or something else (the store, the scheduler, the machine).
        // Load-independent attribution, where the latencies themselves are noise on a shared machine.
        long slow = 0;
        long slowInPause = 0;
        long worst = 0;
        long worstDue = timeline.start;
        for (int w = 0; w < timeline.latencies.length; w++) {
            long[] mine = timeline.latencies[w];
            for (int i = 0; i < mine.length; i++) {
                if (mine[i] > SLOW_APPEND_NS) {
                    slow++;
                    long due = timeline.start + (long) (((long) i * GROUP_COMMIT_WRITERS + w) * timeline.intervalNs);
                    if (pauses.overlaps(due, due + mine[i])) {
                        slowInPause++;
                    }
                    if (mine[i] > worst) {
                        worst = mine[i];
                        worstDue = due;
                    }
                }
            }
        }
        figure(name + " appends over 2 ms", slow, "appends");
        figure(name + " appends over 2 ms whose wait overlapped a GC pause", slowInPause, "appends");
        // when the worst wait began, in seconds into the measured pass: a stall at its start or end is the harness's
        figure(name + " slowest append", worst / 1000.0, "us");
        figure(name + " slowest append due at", (worstDue - timeline.start) / 1e9, "s");
        figure(name + " GC pauses", pauses.count(timeline.start, passEnd), "pauses");
        figure(name + " GC pause time", pauses.totalMs(timeline.start, passEnd), "ms");
        figure(name + " longest GC pause", pauses.longest(timeline.start, passEnd), "ms");
        // Where that CPU went, by thread: the process figure alone could not tell the harness's timers from the
        // store's appends, the log's fsync thread or the JVM's own (GC, JIT) threads.
        Map<String, Long> byKind = new java.util.LinkedHashMap<>();
        for (String kind : THREAD_KINDS) {
            byKind.put(kind, 0L);
        }
        long javaThreads = 0;
        for (var e : threads1.entrySet()) {
            ThreadCpu before = threads0.get(e.getKey());
            long ns = e.getValue().cpuNs() - (before == null ? 0 : before.cpuNs());
            byKind.merge(threadKind(e.getValue().name()), ns, Long::sum);
            javaThreads += ns;
        }
        // the pacer ends with the pass, so it is not listed at its end: it reported its own CPU time; so did the
        // platform callers of --paced-platform-callers
        byKind.merge(THREAD_KINDS.get(1), lastPacerCpuNs, Long::sum);
        javaThreads += lastPacerCpuNs;
        byKind.merge(THREAD_KINDS.get(0), lastCallersCpuNs, Long::sum);
        javaThreads += lastCallersCpuNs;
        // GC and JIT threads are not Java threads: on Linux their CPU is read from /proc; threads that ended in the
        // window are not listed at its end
        long unaccounted = cpuNs - javaThreads;
        for (String kind : List.of(THREAD_KINDS.get(4), THREAD_KINDS.get(5))) {
            long ns = Math.min(Math.max(0, unaccounted), jvm1.getOrDefault(kind, 0L) - jvm0.getOrDefault(kind, 0L));
            byKind.merge(kind, ns, Long::sum);
            unaccounted -= ns;
        }
        byKind.merge(THREAD_KINDS.getLast(), Math.max(0, unaccounted), Long::sum);
        for (var e : byKind.entrySet()) {
            figure(name + " CPU per append: " + e.getKey(), e.getValue() / 1000.0 / total, "us");
        }
    }

    /** Most warm-up seconds of the paced workload; it stops earlier once a second passes with little JIT work. */
    static final int PACED_WARMUP_MAX_SECONDS = 10;
    /** Compilation time (ms, as the JVM reports it) in a warm-up second under which the JIT counts as settled. */
    static final long PACED_WARMUP_QUIET_JIT_MS = 50;

    /** The kinds of thread the paced CPU is split into, in print order; the last takes what no Java thread accounts for. */
    static final List<String> THREAD_KINDS = List.of("appending threads (virtual-thread carriers)",
            "timers (virtual-thread sleeps, pacer)", "log sync thread", "other Java threads", "GC threads",
            "JIT compiler threads", "other JVM threads and threads that ended");

    /**
     * CPU time (ns, at the kernel's tick resolution) of the JVM's own GC and JIT threads, which no Java API lists, by
     * kind; empty where {@code /proc/self/task} cannot be read (not Linux), and the split then shows them as "other".
     */
    private static Map<String, Long> jvmThreadCpu() {
        Map<String, Long> out = new java.util.HashMap<>();
        Path tasks = Path.of("/proc/self/task");
        // utime and stime are in clock ticks; USER_HZ is 100 on every Linux the JVM runs on
        long nsPerTick = 10_000_000L;
        try (var dirs = java.nio.file.Files.list(tasks)) {
            for (Path task : (Iterable<Path>) dirs::iterator) {
                try {
                    String comm = java.nio.file.Files.readString(task.resolve("comm")).strip();
                    String kind = comm.startsWith("GC Thread") || comm.startsWith("G1 ") ? THREAD_KINDS.get(4)
                            : comm.startsWith("C1 Compiler") || comm.startsWith("C2 Compiler") ? THREAD_KINDS.get(5)
                            : null;
                    if (kind == null) {
                        continue;
                    }
                    String stat = java.nio.file.Files.readString(task.resolve("stat"));
                    // fields after the ")" that closes the name: state is field 3, utime 14 and stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.merge(kind, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * nsPerTick, Long::sum);
                } catch (java.io.IOException | RuntimeException e) {
                    // the thread ended while we looked: its time is in "threads that ended"
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            return Map.of();
        }
        return out;
    }

    private static String threadKind(String threadName) {
        if (threadName.startsWith("ForkJoinPool") && threadName.contains("worker")) {
            return THREAD_KINDS.get(0);
        }
        if (threadName.contains("delayScheduler") || threadName.startsWith("VirtualThread-unparker")
                || threadName.startsWith(PACER_THREAD)) {
            return THREAD_KINDS.get(1);
        }
        if (threadName.startsWith("tributary-sync-")) {
            return THREAD_KINDS.get(2);
        }
        return THREAD_KINDS.get(3);
    }

    private record ThreadCpu(String name, long cpuNs) {
    }

    /** CPU time of every live platform thread (carriers included), by thread id. */
    private static Map<Long, ThreadCpu> threadCpu(java.lang.management.ThreadMXBean bean) {
        Map<Long, ThreadCpu> out = new java.util.HashMap<>();
        for (var info : bean.getThreadInfo(bean.getAllThreadIds())) {
            if (info != null) {
                long ns = bean.getThreadCpuTime(info.getThreadId());
                if (ns >= 0) {
                    out.put(info.getThreadId(), new ThreadCpu(info.getThreadName(), ns));
                }
            }
        }
        return out;
    }

    static final String PACER_THREAD = "bench-pacer";
    /** The CPU time of the last paced pass's pacer thread, which it reports itself as it ends. */
    private volatile long lastPacerCpuNs;
    /** The CPU time of the last paced pass's platform callers (--paced-platform-callers), which they report as they end. */
    private volatile long lastCallersCpuNs;

    /**
     * {@code total} appends of 1 event paced at {@code perSecond} over streams {@code prefix + "paced-" + n}; each
     * latency runs from the append's intended start (no coordinated omission) into {@code latency} if not null.
     * Returns the appends/s achieved.
     *
     * <p>Slot {@code k} is due at {@code start + k / perSecond} and belongs to writer {@code k mod writers}. One pacer
     * thread sleeps until each slot is due and releases it to its writer, which parks untimed between appends. It
     * used to be each of the 64 virtual writers sleeping until its own next slot: every such sleep is a timer task
     * of the carrier pool (allocated, queued in its delay scheduler's heap, run as a task that then unparks the
     * virtual thread as a second task), and on the 2-core machine that harness alone cost 35-56 us of CPU per
     * append, as much as the store it measures. A writer still busy with its previous append when its next slot
     * is released takes it at once: that append's latency counts from its due time, as before.
     */
    private double paced(PacedAppend append, int perSecond, int writers, int total, String prefix,
                         @Nullable Histogram latency) throws Exception {
        return paced(append, perSecond, writers, total, prefix, latency, null);
    }

    private double paced(PacedAppend append, int perSecond, int writers, int total, String prefix,
                         @Nullable Histogram latency, @Nullable PacedTimeline timeline) throws Exception {
        if (pacedPlatformCallers) {
            return pacedByPlatformCallers(append, perSecond, writers, total, prefix, latency, timeline);
        }
        lastCallersCpuNs = 0;
        double intervalNs = 1e9 / perSecond;
        long start = System.nanoTime() + 50_000_000L;
        int perWriter = total / writers;
        if (timeline != null) {
            timeline.start = start;
            timeline.intervalNs = intervalNs;
            timeline.latencies = new long[writers][];
        }
        // released[w]: how many of writer w's slots are due; written by the pacer only
        java.util.concurrent.atomic.AtomicIntegerArray released = new java.util.concurrent.atomic.AtomicIntegerArray(writers);
        Thread[] writerThreads = new Thread[writers];
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(writers);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                fs.add(pool.submit(() -> {
                    writerThreads[writer] = Thread.currentThread();
                    started.countDown();
                    // A plain array, not a histogram per writer: 64 HdrHistograms of ~220 KB each were ~14 MB that
                    // stayed live through the run, so every young GC in the measured window copied them and paused
                    // the store (and every append due meanwhile) for it.
                    long[] mine = new long[perWriter];
                    if (timeline != null) {
                        timeline.latencies[writer] = mine;
                    }
                    for (int i = 0; i < perWriter; i++) {
                        while (released.get(writer) <= i) {
                            java.util.concurrent.locks.LockSupport.park(this);
                        }
                        long intended = start + (long) (((long) i * writers + writer) * intervalNs);
                        append.append(prefix + "paced-" + (i % 10_000));
                        mine[i] = System.nanoTime() - intended;
                    }
                    if (latency != null) {
                        synchronized (latency) {
                            for (long l : mine) {
                                latency.recordValue(l);
                            }
                        }
                    }
                    return null;
                }));
            }
            started.await();
            Thread pacer = Thread.ofPlatform().daemon().name(PACER_THREAD).start(() -> {
                int slots = perWriter * writers;
                for (int k = 0; k < slots; k++) {
                    long due = start + (long) (k * intervalNs);
                    long now;
                    // Sleep, never spin: a spinning pacer would take one of the machine's two cores from the store
                    // it measures. Oversleeping is counted (latency runs from the due time), so it can only make
                    // our figure worse; a late wake releases every slot due by then at once.
                    while ((now = System.nanoTime()) < due) {
                        java.util.concurrent.locks.LockSupport.parkNanos(due - now);
                    }
                    int writer = k % writers;
                    released.incrementAndGet(writer);
                    java.util.concurrent.locks.LockSupport.unpark(writerThreads[writer]);
                }
                lastPacerCpuNs = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            });
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.MINUTES);
            }
            pacer.join();
        }
        return total / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * {@link #paced} with platform callers and no pacer (--paced-platform-callers): the same slots, due times and
     * latency from the due time, but writer {@code w} sleeps until each of its own slots is due and then appends.
     * One timed wake per append instead of the pacer's timed wake plus a virtual thread's wake-up, and the store
     * wakes a platform thread, not a virtual one, when the append is durable.
     */
    private double pacedByPlatformCallers(PacedAppend append, int perSecond, int writers, int total, String prefix,
                                          @Nullable Histogram latency, @Nullable PacedTimeline timeline) throws Exception {
        double intervalNs = 1e9 / perSecond;
        long start = System.nanoTime() + 50_000_000L;
        int perWriter = total / writers;
        if (timeline != null) {
            timeline.start = start;
            timeline.intervalNs = intervalNs;
            timeline.latencies = new long[writers][];
        }
        var cpu = new java.util.concurrent.atomic.AtomicLong();
        var failure = new java.util.concurrent.atomic.AtomicReference<Exception>();
        Thread[] callers = new Thread[writers];
        long[][] latencies = new long[writers][];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            long[] mine = new long[perWriter];
            latencies[w] = mine;
            if (timeline != null) {
                timeline.latencies[writer] = mine;
            }
            callers[w] = Thread.ofPlatform().daemon().name("bench-caller-" + w).start(() -> {
                try {
                    for (int i = 0; i < perWriter && failure.get() == null; i++) {
                        long intended = start + (long) (((long) i * writers + writer) * intervalNs);
                        long now;
                        while ((now = System.nanoTime()) < intended) {
                            java.util.concurrent.locks.LockSupport.parkNanos(intended - now);
                        }
                        append.append(prefix + "paced-" + (i % 10_000));
                        mine[i] = System.nanoTime() - intended;
                    }
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                } finally {
                    cpu.addAndGet(java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime());
                }
            });
        }
        for (Thread t : callers) {
            t.join();
        }
        Exception e = failure.get();
        if (e != null) {
            throw e;
        }
        if (latency != null) {
            for (long[] mine : latencies) {
                for (long l : mine) {
                    latency.recordValue(l);
                }
            }
        }
        lastPacerCpuNs = 0;
        lastCallersCpuNs = cpu.get();
        return total / ((System.nanoTime() - start) / 1e9);
    }

    /** Latency over which a paced append counts as slow in the stall attribution (the p99 target). */
    static final long SLOW_APPEND_NS = 2_000_000L;

    /** Every append's latency of one paced pass by writer and slot, and the schedule that gives their due times. */
    private static final class PacedTimeline {
        long start;
        double intervalNs;
        long[][] latencies = new long[0][];
    }

    /**
     * The stop-the-world GC pauses the JVM reports while it is started (start and end to the millisecond), mapped
     * onto {@code System.nanoTime()}. The beans that report whole concurrent cycles (ZGC's and Shenandoah's
     * "... Cycles") are left out: a cycle is not a pause. G1's "G1 Concurrent GC" bean is kept: it reports the
     * stop-the-world Remark and Cleanup pauses of a concurrent cycle ("end of concurrent GC pause"). The JVM stamps a pause in ms since its management started, a clock no API reads "now" on (uptime
     * counts from an earlier point: 870 ms earlier in one run), so the mapping is learnt from the notifications
     * themselves: each arrives after its pause ended, and the smallest gap seen between a pause's end stamp and its
     * notification's {@code nanoTime} is the offset, late by at most that notification's delay.
     */
    static final class PauseLog implements javax.management.NotificationListener {
        /** Start and end stamps (ms) and duration (ms) of each pause. */
        private final List<long[]> pauses = java.util.Collections.synchronizedList(new ArrayList<>());
        private final List<javax.management.NotificationEmitter> emitters = new ArrayList<>();
        /** nanoTime minus the pause stamps' clock in ns: the smallest gap seen so far (see the class comment). */
        private final java.util.concurrent.atomic.AtomicLong offsetNs = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);

        private PauseLog() {
        }

        /** Whether a GC bean's notifications are stop-the-world pauses (see the class comment). */
        static boolean reportsPauses(String beanName) {
            return !beanName.contains("Cycles");
        }

        static PauseLog start() {
            PauseLog log = new PauseLog();
            for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
                if (!reportsPauses(gc.getName())) {
                    continue;
                }
                if (gc instanceof javax.management.NotificationEmitter e) {
                    e.addNotificationListener(log, null, null);
                    log.emitters.add(e);
                }
            }
            return log;
        }

        void stop() {
            for (var e : emitters) {
                try {
                    e.removeNotificationListener(this);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // already gone
                }
            }
        }

        @Override
        public void handleNotification(javax.management.Notification n, Object handback) {
            long now = System.nanoTime();
            if (!com.sun.management.GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                return;
            }
            var info = com.sun.management.GarbageCollectionNotificationInfo.from(
                    (javax.management.openmbean.CompositeData) n.getUserData()).getGcInfo();
            offsetNs.accumulateAndGet(now - info.getEndTime() * 1_000_000L, Math::min);
            pauses.add(new long[] {info.getStartTime(), info.getEndTime(), info.getDuration()});
        }

        /** The pauses that overlap {@code [fromNs, toNs)} as {from, to} in nanoTime, widened by 1 ms for the rounding. */
        private List<long[]> within(long fromNs, long toNs) {
            long off = offsetNs.get();
            List<long[]> out = new ArrayList<>();
            if (off == Long.MAX_VALUE) {
                return out; // no pause seen at all
            }
            synchronized (pauses) {
                for (long[] p : pauses) {
                    long start = off + (p[0] - 1) * 1_000_000L;
                    long end = off + (p[1] + 1) * 1_000_000L;
                    if (start < toNs && fromNs < end) {
                        out.add(new long[] {start, end, p[2]});
                    }
                }
            }
            return out;
        }

        boolean overlaps(long fromNs, long toNs) {
            return !within(fromNs, toNs).isEmpty();
        }

        int count(long fromNs, long toNs) {
            return within(fromNs, toNs).size();
        }

        long totalMs(long fromNs, long toNs) {
            return within(fromNs, toNs).stream().mapToLong(p -> p[2]).sum();
        }

        long longest(long fromNs, long toNs) {
            return within(fromNs, toNs).stream().mapToLong(p -> p[2]).max().orElse(0);
        }
    }

    private void readWorkloads(String label, EventStore store) throws Exception {
        // One aggregate of 10,000 events, appended in batches of 100, and 10,000 more streams for $all.
        var repo = new AggregateRepository<>(store, "counter", COUNTER, COUNTER_CODEC, COUNTER_STATE,
                RepositoryConfig.defaults().withReadBatch(1000));
        for (int i = 0; i < 100; i++) {
            List<EventData> batch = new ArrayList<>();
            for (int b = 0; b < 100; b++) {
                batch.add(new EventData(UUID.randomUUID(), "Incremented", COUNTER_CODEC.encode(1L), io.tributary.core.Headers.empty()));
            }
            store.append("counter-big", ExpectedVersion.any(), batch);
        }
        for (int i = 0; i < 10; i++) {
            repo.load("big"); // warm-up
        }
        int loads = 20;
        long t0 = System.nanoTime();
        long sum = 0;
        for (int i = 0; i < loads; i++) {
            sum += repo.load("big").state();
        }
        double perLoadMs = (System.nanoTime() - t0) / 1e6 / loads;
        if (sum != 10_000L * loads) {
            throw new IllegalStateException("rehydrate read " + sum / loads + " events, expected 10000");
        }
        figure(label + " rehydrate 10,000-event aggregate, no snapshot", 10_000 / (perLoadMs / 1000), "events/s");
        figure(label + " rehydrate 10,000-event aggregate, no snapshot", perLoadMs, "ms/load");
        double oursLoadMs = perLoadMs;

        store.saveSnapshot(new Snapshot("counter-big", 9_989, COUNTER_STATE.type(), COUNTER_STATE.encode(9_990L), System.currentTimeMillis()));
        for (int i = 0; i < 10; i++) {
            repo.load("big");
        }
        t0 = System.nanoTime();
        for (int i = 0; i < loads; i++) {
            if (repo.load("big").state() != 10_000L) {
                throw new IllegalStateException("snapshot load gave a different state");
            }
        }
        perLoadMs = (System.nanoTime() - t0) / 1e6 / loads;
        figure(label + " rehydrate 10,000-event aggregate from a snapshot at 9,989 (+10 events)", perLoadMs, "ms/load");

        for (int i = 0; i < 10_000; i += 10) {
            List<EventData> batch = new ArrayList<>();
            for (int b = 0; b < 10; b++) {
                batch.add(EventData.of("ItemAdded", PAYLOAD));
            }
            store.append("cart-" + i, ExpectedVersion.any(), batch);
        }
        t0 = System.nanoTime();
        long count = 0;
        long pos = EventStore.BEGINNING;
        while (true) {
            AllSlice slice = store.readAll(pos, 1000, EventFilter.all());
            count += slice.events().size();
            pos = slice.nextPosition();
            if (slice.endOfAll()) {
                break;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        figure(String.format("%s $all catch-up, %,d events, pages of 1000", label, count), count / seconds, "events/s");

        // Short stream reads, as a service loading one aggregate per request: each stream is one record somewhere in
        // the log, so this is the cost of a point read (the demo team measured ~300/s per thread here).
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 200; i++) {
            store.readStream("cart-" + random.nextInt(1_000) * 10, io.tributary.eventstore.Direction.FORWARD, 0, 100);
        }
        int reads = 2_000;
        t0 = System.nanoTime();
        for (int i = 0; i < reads; i++) {
            if (store.readStream("cart-" + random.nextInt(1_000) * 10, io.tributary.eventstore.Direction.FORWARD, 0, 100).size() != 10) {
                throw new IllegalStateException("a cart stream did not read back its 10 events");
            }
        }
        seconds = (System.nanoTime() - t0) / 1e9;
        figure(label + " read one 10-event stream of 1,000 at random, 1 thread", reads / seconds, "reads/s");
        if (axon != null) {
            axonReads(label, oursLoadMs, count / seconds);
        }
    }

    /** The same store shape through Axon: one 10,000-event aggregate plus 1,000 aggregates of 10. */
    private void axonReads(String label, double oursLoadMs, double oursAllRate) throws Exception {
        axon.truncate();
        axon.appends(100, 1, 1, 10_000, "", null);
        axon.appends(10, 1, 1_000, 10_000, "cart-", null);
        for (int i = 0; i < 10; i++) {
            axon.load("hot-0");
        }
        int loads = 20;
        long t0 = System.nanoTime();
        for (int i = 0; i < loads; i++) {
            if (axon.load("hot-0") != 10_000) {
                throw new IllegalStateException("Axon loaded a different number of events");
            }
        }
        double peerMs = (System.nanoTime() - t0) / 1e6 / loads;
        compare(label + " rehydrate 10,000-event aggregate, no snapshot", "ms/load", oursLoadMs, peerMs);
        t0 = System.nanoTime();
        long n = axon.readAll();
        double peerAll = n / ((System.nanoTime() - t0) / 1e9);
        compare(label + " $all catch-up (Axon: tracking read of the whole store)", "events/s", oursAllRate, peerAll);
    }

    // ---- reporting ----

    private void report(String name, double perSecond, String unit, Histogram latency) {
        figure(name, perSecond, unit);
        figure(name + " p50", latency.getValueAtPercentile(50) / 1000.0, "us");
        figure(name + " p99", latency.getValueAtPercentile(99) / 1000.0, "us");
    }

    private void figure(String name, double value, String unit) {
        System.out.printf(Locale.ROOT, "%-100s %,14.1f %s%n", name, value, unit);
        figures.add(String.format(Locale.ROOT, "{\"name\":\"%s\",\"unit\":\"%s\",\"value\":%.1f}",
                name.replace("\"", "'"), unit, value));
    }

    // ---- the counter aggregate used for rehydration ----

    private static final Decider<Long, Long, Long> COUNTER = new Decider<>() {
        @Override
        public Long initialState() {
            return 0L;
        }

        @Override
        public Decision<Long> decide(Long command, Long state) {
            return Decision.accept(command);
        }

        @Override
        public Long evolve(Long state, Long event) {
            return state + event;
        }
    };

    private static final EventCodec<Long> COUNTER_CODEC = new EventCodec<>() {
        @Override
        public String typeOf(Long event) {
            return "Incremented";
        }

        @Override
        public byte[] encode(Long event) {
            return ByteBuffer.allocate(8).putLong(event).array();
        }

        @Override
        public Long decode(String type, byte[] data) {
            return ByteBuffer.wrap(data).getLong();
        }
    };

    private static final StateCodec<Long> COUNTER_STATE = new StateCodec<>() {
        @Override
        public String type() {
            return "Counter.v1";
        }

        @Override
        public byte[] encode(Long state) {
            return ByteBuffer.allocate(8).putLong(state).array();
        }

        @Override
        public Long decode(byte[] data) {
            return ByteBuffer.wrap(data).getLong();
        }
    };
}
