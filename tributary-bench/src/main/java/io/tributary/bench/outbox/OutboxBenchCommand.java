package io.tributary.bench.outbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.tributary.bench.internal.ScratchDir;
import io.tributary.log.EventLog;
import io.tributary.log.EventLogs;
import io.tributary.log.NewTopic;
import io.tributary.outbox.OutboxRelay;
import io.tributary.outbox.OutboxTables;
import io.tributary.outbox.RelayConfig;
import io.tributary.outbox.RelayObserver;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tributary bench outbox [--vs debezium] [--quick] [--json]}: the outbox relay on a private PostgreSQL, publishing
 * to an embedded event log (topic {@code orders}, 8 partitions, fsync=always: an acknowledgement means durable).
 *
 * <p><b>Workloads.</b> <i>Drain</i>: a backlog of {@code --rows} ~200-byte JSON events (keys over 10,000 order ids),
 * written by 4 writers through {@code Outbox.add}, 10 rows per transaction, then drained by one relay and (on a fresh
 * backlog) by two; rate = events after the first acknowledged batch / (first → last acknowledged batch), and total =
 * events / (relay start → last). <i>Live</i>: 4 writers commit {@code --rate} single-row transactions per second for
 * {@code --seconds} while one relay runs, with LISTEN/NOTIFY (the default config) and with polling only; latency =
 * the relay's {@code published} callback (right after the log acknowledged) − the writer's {@code commit()} return,
 * matched by event id.
 * <p><b>{@code --vs debezium}</b>: the same table, backlog and live workload through Debezium 3.6.1's embedded engine
 * and PostgreSQL connector (pgoutput) with a do-nothing handler (drain: slot and publication made before the
 * backlog is written; live: Debezium's defaults and {@code poll.interval.ms=10}); ratio = ours / Debezium's.
 * <p>Everything runs in this JVM, one workload at a time; the PostgreSQL and the log are deleted at the end.
 */
@Command(name = "outbox", mixinStandardHelpOptions = true,
        description = "Outbox relay: drain rate and commit-to-publish latency, notify vs polling, 1 and 2 relays, "
                + "on a private PostgreSQL; --vs debezium runs Debezium's embedded engine on the same table.")
public final class OutboxBenchCommand implements Callable<Integer> {

    static final int WRITERS = 4;
    static final int PARTITIONS = 8;
    static final double DRAIN_FLOOR = 20_000;
    static final double LIVE_P99_TARGET_MS = 50;

    @Option(names = "--rows", description = "Backlog size for the drain workload (default: ${DEFAULT-VALUE}; --quick: 20000).")
    @Nullable Integer rows;

    @Option(names = "--rate", description = "Live workload: single-row transactions per second, all writers together "
            + "(default: ${DEFAULT-VALUE}; --quick: 1000).")
    @Nullable Integer rate;

    @Option(names = "--seconds", description = "Live workload: seconds per case (default: 30; --quick: 5).")
    @Nullable Integer seconds;

    @Option(names = "--vs", description = "Also run a peer on the same table and workload: debezium.")
    @Nullable String vs;

    @Option(names = "--quick", description = "Small sizes (~30 s without a peer), for a smoke run.")
    boolean quick;

    @Option(names = "--json", description = "Print every figure as one JSON object on the last line of stdout.")
    boolean json;

    @Option(names = "--live-only", description = "Run only the live workloads (notify and polling; with --vs, "
            + "Debezium's live cases too), no drain: for iterating on the live latency.")
    boolean liveOnly;

    private final PrintStream out;
    /** Temp directory of this run: the event log, Debezium's log and its kafka-clients jar. */
    private Path workDir = Path.of(System.getProperty("java.io.tmpdir"));

    public OutboxBenchCommand() {
        this(System.out);
    }

    OutboxBenchCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if (vs != null && !vs.equals("debezium")) {
            System.err.println("Unknown peer '" + vs + "' for 'bench outbox'; the only one is: --vs debezium");
            return 2;
        }
        int backlog = rows != null ? rows : quick ? 20_000 : 200_000;
        int txRate = rate != null ? rate : quick ? 1_000 : 2_000;
        int liveSeconds = seconds != null ? seconds : quick ? 5 : 30;
        if (backlog < 1_000 || txRate < WRITERS || liveSeconds < 1) {
            System.err.println("Invalid sizes: --rows must be >= 1000 (was " + backlog + "), --rate >= " + WRITERS
                    + " (was " + txRate + "), --seconds >= 1 (was " + liveSeconds + ").");
            return 2;
        }
        boolean debezium = vs != null;
        String loadBefore = loadAverage();
        long started = System.nanoTime();
        ScratchDir scratch = ScratchDir.open(null, "tributary-outbox-bench", new PrintWriter(System.err, true));
        workDir = scratch.root();
        Path logDir = Files.createDirectories(workDir.resolve("log"));
        List<Figure> figures = new ArrayList<>();
        Map<String, Object> notes = new LinkedHashMap<>();
        try (PrivatePostgres pg = PrivatePostgres.start();
             EventLog log = EventLogs.open(Map.of("tributary.log.backend", "embedded",
                     "tributary.log.embedded.data-dir", logDir.toString()))) {
            log.admin().createTopic(NewTopic.of(OutboxWriters.TOPIC, PARTITIONS));
            OutboxWriters writers = new OutboxWriters(pg.dataSource());
            say("Outbox benchmark: private PostgreSQL on 127.0.0.1:%d, embedded log (%d partitions, fsync=always), "
                    + "backlog %,d rows, live %,d tx/s for %d s, %d writers%s", pg.port(), PARTITIONS, backlog, txRate,
                    liveSeconds, WRITERS, debezium ? ", vs Debezium 3.6.1" : "");

            // Ours: drain with 1 and 2 relays.
            @Nullable Drain one = liveOnly ? null : drainOurs(pg, writers, log, backlog, 1);
            @Nullable Drain two = liveOnly ? null : drainOurs(pg, writers, log, backlog, 2);
            if (one != null) {
                notes.put("backlog_writer_tx_per_s", round(one.written.txPerSecond()));
            }
            // Ours: live with notify and with polling only.
            Live notify = liveOurs(pg, writers, log, txRate, liveSeconds, RelayConfig.defaults());
            Live polling = liveOurs(pg, writers, log, txRate, liveSeconds, RelayConfig.defaults().withUseNotify(false));

            Drain dbzDrain = null;
            Live dbzDefaults = null;
            Live dbzFast = null;
            if (debezium) {
                pg.reset();
                pg.execute("CREATE PUBLICATION " + DebeziumPeer.PUBLICATION + " FOR TABLE public."
                        + OutboxTables.defaults().outbox());
                dbzDrain = liveOnly ? null : drainDebezium(pg, writers, backlog);
                dbzDefaults = liveDebezium(pg, writers, txRate, liveSeconds, Map.of());
                dbzFast = liveDebezium(pg, writers, txRate, liveSeconds, Map.of("poll.interval.ms", "10"));
            }

            String peer = "debezium";
            if (one != null && two != null) {
                addDrain(figures, one, two, dbzDrain);
            }
            addLive(figures, "live.notify", notify, dbzFast, "debezium.live.poll10");
            figures.replaceAll(f -> f.name().equals("live.notify.p99")
                    ? f.target("p99 < 50 ms", notify.latency.percentileMillis(99) < LIVE_P99_TARGET_MS) : f);
            addLive(figures, "live.poll", polling, dbzDefaults, "debezium.live.defaults");
            if (dbzDrain != null) {
                figures.add(Figure.of("debezium.drain.rate", "events/s", round(dbzDrain.rate), "higher"));
                figures.add(Figure.of("debezium.drain.total_rate", "events/s", round(dbzDrain.totalRate), "higher"));
            }
            if (dbzDefaults != null && dbzFast != null) {
                addLive(figures, "debezium.live.defaults", dbzDefaults, null, peer);
                addLive(figures, "debezium.live.poll10", dbzFast, null, peer);
            }
            figures.sort(Comparator.comparingInt(f -> order(f.name())));
        } finally {
            scratch.close();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        printTable(figures);
        say("Took %.0f s. Machine: %d cores, load average before: %s (a shared machine: treat figures as noisy).",
                elapsed, Runtime.getRuntime().availableProcessors(), loadBefore);
        if (json) {
            out.println(toJson(figures, notes, backlog, txRate, liveSeconds, debezium, loadBefore, elapsed));
        }
        out.flush();
        return 0;
    }

    private static void addDrain(List<Figure> figures, Drain one, Drain two, @Nullable Drain dbzDrain) {
        Figure d1 = Figure.of("drain.1relay.rate", "events/s", round(one.rate), "higher");
        Figure d2 = Figure.of("drain.2relays.rate", "events/s", round(two.rate), "higher");
        if (dbzDrain != null) {
            d1 = d1.vs("debezium.drain.rate", round(dbzDrain.rate));
            d2 = d2.vs("debezium.drain.rate", round(dbzDrain.rate));
        }
        String drainTarget = "≥ 20,000 events/s" + (dbzDrain != null ? " and ≥ Debezium's in the same run" : "");
        d1 = d1.target(drainTarget, one.rate >= DRAIN_FLOOR && (dbzDrain == null || one.rate >= dbzDrain.rate));
        d2 = d2.target(drainTarget, two.rate >= DRAIN_FLOOR && (dbzDrain == null || two.rate >= dbzDrain.rate));
        figures.add(d1);
        figures.add(Figure.of("drain.1relay.total_rate", "events/s", round(one.totalRate), "higher"));
        figures.add(d2);
        figures.add(Figure.of("drain.2relays.total_rate", "events/s", round(two.totalRate), "higher"));
        figures.add(Figure.of("drain.backlog_write_rate", "rows/s", round(one.written.rows() / one.written.seconds()), "higher"));
    }

    // ---- workloads ----

    private record Drain(OutboxWriters.Written written, double rate, double totalRate) {
    }

    private record Live(OutboxWriters.Written written, CommitLatency latency, long delivered) {
    }

    private Drain drainOurs(PrivatePostgres pg, OutboxWriters writers, EventLog log, int backlog, int relays)
            throws Exception {
        pg.reset();
        OutboxWriters.Written w = writers.backlog(WRITERS, backlog, 10);
        pg.settle();
        Tally tally = new Tally();
        RelayObserver observer = new RelayObserver() {
            @Override
            public void published(List<UUID> eventIds) {
                tally.batch(eventIds.size(), BenchClock.nanos());
            }
        };
        long start = BenchClock.nanos();
        List<OutboxRelay> started = new ArrayList<>();
        try {
            for (int i = 1; i <= relays; i++) {
                started.add(OutboxRelay.start(pg.dataSource(), log, OutboxTables.defaults(),
                        RelayConfig.defaults().withRelayName("bench-relay-" + i), new SimpleMeterRegistry(), observer));
            }
            if (!tally.await(backlog, drainTimeoutSeconds(backlog), TimeUnit.SECONDS)) {
                throw new IllegalStateException("Our relay drained only " + tally.count() + " of " + backlog + " rows in "
                        + drainTimeoutSeconds(backlog) + " s");
            }
        } finally {
            started.forEach(OutboxRelay::close);
        }
        Drain d = new Drain(w, tally.firstToLastRate(), tally.totalRate(start));
        say("  ours, drain, %d relay%s: %,.0f events/s first->last (%,.0f total); backlog written at %,.0f tx/s",
                relays, relays == 1 ? "" : "s", d.rate, d.totalRate, w.txPerSecond());
        return d;
    }

    private Live liveOurs(PrivatePostgres pg, OutboxWriters writers, EventLog log, int txRate, int seconds,
                          RelayConfig config) throws Exception {
        pg.reset();
        CommitLatency latency = new CommitLatency();
        UUID[] probe = {null};
        CountDownLatch probeSeen = new CountDownLatch(1);
        RelayObserver observer = new RelayObserver() {
            @Override
            public void published(List<UUID> eventIds) {
                long now = BenchClock.nanos();
                UUID p = probe[0];
                if (p != null && eventIds.contains(p)) {
                    probeSeen.countDown();
                }
                latency.published(eventIds, now);
            }
        };
        OutboxWriters.Written w;
        try (OutboxRelay relay = OutboxRelay.start(pg.dataSource(), log, OutboxTables.defaults(),
                config.withRelayName("bench-live"), new SimpleMeterRegistry(), observer)) {
            probe[0] = writers.probe();
            if (!probeSeen.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("Our relay did not publish the probe event within 60 s");
            }
            w = writers.paced(WRITERS, txRate, seconds, latency);
            awaitMatched(latency, w.rows(), "our relay");
        }
        Live l = new Live(w, latency, latency.matched());
        say("  ours, live, %s: commit->publish p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,.0f tx/s written)",
                config.useNotify() ? "LISTEN/NOTIFY" : "polling every " + config.pollInterval().toMillis() + " ms",
                latency.percentileMillis(50), latency.percentileMillis(99), latency.percentileMillis(99.9),
                latency.percentileMillis(100), w.txPerSecond());
        return l;
    }

    private Drain drainDebezium(PrivatePostgres pg, OutboxWriters writers, int backlog) throws Exception {
        pg.reset();
        pg.execute("SELECT pg_create_logical_replication_slot('" + DebeziumPeer.SLOT + "', 'pgoutput')");
        OutboxWriters.Written w = writers.backlog(WRITERS, backlog, 10);
        pg.settle();
        Tally tally = new Tally();
        DebeziumPeer relay = DebeziumPeer.start(pg.port(), Map.of(), tally, null, workDir);
        try {
            if (!tally.await(backlog, drainTimeoutSeconds(backlog), TimeUnit.SECONDS)) {
                relay.checkHealthy();
                throw new IllegalStateException("Debezium drained only " + tally.count() + " of " + backlog + " rows in "
                        + drainTimeoutSeconds(backlog) + " s");
            }
        } finally {
            relay.close();
            dropSlot(pg);
        }
        Drain d = new Drain(w, tally.firstToLastRate(), tally.totalRate(relay.startNanos));
        say("  Debezium, drain: %,.0f events/s first->last (%,.0f total, child JVM launch -> last); backlog written at %,.0f tx/s",
                d.rate, d.totalRate, w.txPerSecond());
        return d;
    }

    private Live liveDebezium(PrivatePostgres pg, OutboxWriters writers, int txRate, int seconds,
                              Map<String, String> overrides) throws Exception {
        pg.reset();
        CommitLatency latency = new CommitLatency();
        OutboxWriters.Written w;
        DebeziumPeer relay = DebeziumPeer.start(pg.port(), overrides, new Tally(), latency, workDir);
        try {
            writers.probe();
            if (!relay.awaitProbe(60, TimeUnit.SECONDS)) {
                relay.checkHealthy();
                throw new IllegalStateException("Debezium did not deliver the probe event within 60 s");
            }
            w = writers.paced(WRITERS, txRate, seconds, latency);
            awaitMatched(latency, w.rows(), "Debezium");
        } finally {
            relay.close();
            dropSlot(pg);
        }
        say("  Debezium, live, %s: commit->handler p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,.0f tx/s written)",
                overrides.isEmpty() ? "defaults" : overrides, latency.percentileMillis(50), latency.percentileMillis(99),
                latency.percentileMillis(99.9), latency.percentileMillis(100), w.txPerSecond());
        return new Live(w, latency, latency.matched());
    }

    private static void dropSlot(PrivatePostgres pg) throws Exception {
        // slot.drop.on.stop drops it; this catches an engine that stopped before it could.
        pg.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                + DebeziumPeer.SLOT + "' AND NOT active");
    }

    private static void awaitMatched(CommitLatency latency, long expected, String who) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (latency.matched() < expected) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(who + " delivered only " + latency.matched() + " of the " + expected
                        + " live events within 60 s after the writers stopped");
            }
            Thread.sleep(20);
        }
    }

    private static long drainTimeoutSeconds(int backlog) {
        return Math.max(120, backlog / 1_000);
    }

    // ---- output ----

    private static void addLive(List<Figure> figures, String prefix, Live live, @Nullable Live peer, String peerPrefix) {
        String[] names = {"p50", "p99", "p999", "max"};
        double[] percentiles = {50, 99, 99.9, 100};
        for (int i = 0; i < names.length; i++) {
            Figure f = Figure.of(prefix + "." + names[i], "ms", round(live.latency.percentileMillis(percentiles[i])), "lower");
            if (peer != null) {
                f = f.vs(peerPrefix + "." + names[i], round(peer.latency.percentileMillis(percentiles[i])));
            }
            figures.add(f);
        }
        figures.add(Figure.of(prefix + ".write_rate", "tx/s", round(live.written.txPerSecond()), "higher"));
        figures.add(Figure.of(prefix + ".published_before_commit_returned", "events",
                live.latency.publishedBeforeCommitReturned(), "lower"));
    }

    private static int order(String name) {
        List<String> prefixes = List.of("drain.1relay", "drain.2relays", "drain.", "live.notify", "live.poll",
                "debezium.drain", "debezium.live.defaults", "debezium.live.poll10");
        for (int i = 0; i < prefixes.size(); i++) {
            if (name.startsWith(prefixes.get(i))) {
                return i;
            }
        }
        return prefixes.size();
    }

    private void printTable(List<Figure> figures) {
        out.println();
        out.printf(Locale.ROOT, "%-50s %10s %-9s %10s %7s  %s%n", "figure", "ours", "unit", "Debezium", "ratio", "target");
        for (Figure f : figures) {
            String peer = f.peerValue() == null ? "" : fmt(f.peerValue());
            String ratio = f.ratio() == null ? "" : String.format(Locale.ROOT, "%.2fx", f.ratio());
            String target = f.target() == null ? "" : f.target() + (Boolean.TRUE.equals(f.targetMet()) ? "  MET" : "  MISSED");
            out.printf(Locale.ROOT, "%-50s %10s %-9s %10s %7s  %s%n", f.name(), fmt(f.value()), f.unit(), peer, ratio, target);
        }
        out.println("(ratio = ours / Debezium's; rates: higher is better, latencies in ms: lower is better)");
    }

    private static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String toJson(List<Figure> figures, Map<String, Object> notes, int backlog, int txRate, int seconds,
                                 boolean debezium, String load, double elapsed) throws IOException {
        ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("benchmark", "outbox");
        root.put("time", Instant.now().toString());
        ObjectNode cfg = root.putObject("config");
        cfg.put("rows", backlog);
        cfg.put("rate_tx_per_s", txRate);
        cfg.put("seconds", seconds);
        cfg.put("writers", WRITERS);
        cfg.put("partitions", PARTITIONS);
        cfg.put("peer", debezium ? "debezium 3.6.1.Final" : null);
        ObjectNode machine = root.putObject("machine");
        machine.put("cores", Runtime.getRuntime().availableProcessors());
        machine.put("java", System.getProperty("java.version"));
        machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        machine.put("load_average_before", load);
        root.put("elapsed_s", round(elapsed));
        ArrayNode list = root.putArray("figures");
        for (Figure f : figures) {
            ObjectNode n = list.addObject();
            n.put("name", f.name());
            n.put("unit", f.unit());
            putNumber(n, "value", f.value());
            n.put("better", f.better());
            if (f.peer() != null && f.peerValue() != null) {
                n.put("peer", f.peer());
                putNumber(n, "peer_value", f.peerValue());
                if (f.ratio() != null) {
                    putNumber(n, "ratio", round(f.ratio()));
                } else {
                    n.putNull("ratio");
                }
            }
            if (f.target() != null) {
                n.put("target", f.target());
                n.put("target_met", f.targetMet());
            }
        }
        ObjectNode notesNode = root.putObject("notes");
        notes.forEach((k, v) -> notesNode.putPOJO(k, v));
        return mapper.writeValueAsString(root);
    }

    private static void putNumber(ObjectNode n, String field, double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            n.putNull(field);
        } else {
            n.put(field, v);
        }
    }

    private static double round(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
    }

    private void say(String format, Object... args) {
        out.println(String.format(Locale.ROOT, format, args));
        out.flush();
    }

    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

}
