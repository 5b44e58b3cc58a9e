package io.tributary.bench.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.SyncMode;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * Child-JVM main: the log workloads on Chronicle Queue (OpenHFT), in process, as the Chronicle peer measured them
 * ({@code /work/shared/peers/chronicle}): one appender thread writing {@code size}-byte excerpts
 * ({@code writingDocument()}, an 8-byte sequence number and filler), a tailer reading them back, and a spinning
 * tailer for produce-to-consume latency. Durable modes use {@code SyncMode.SYNC} (msync MS_SYNC) with
 * {@code appender.sync()} after every append or after every 100.
 *
 * <p>Needs {@code --add-opens}/{@code --add-exports} on JDK 21+ ({@link #JVM_FLAGS}), which is why it runs in a
 * child JVM. Prints one {@code FIGURE <name> <unit> <value>} line per figure.
 *
 * <p>Arguments, {@code key=value}: {@code dir}, {@code sizes} (comma-separated), {@code seconds} (per throughput
 * run), {@code warmupSeconds}, {@code maxBytes} (per append run), {@code latencySeconds}, {@code rate} and
 * {@code p2cSeconds}.
 */
public final class ChronicleWorkloads {

    private static final long HIGHEST = TimeUnit.SECONDS.toNanos(120);
    private static int dirSeq;

    private ChronicleWorkloads() {
    }

    /** What Chronicle Queue needs on JDK 21+, as in the peer's run. */
    public static java.util.List<String> jvmFlags() {
        java.util.List<String> f = new java.util.ArrayList<>(java.util.List.of(
                "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
                "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "-Dchronicle.analytics.disable=true",
                "-Xmx1g"));
        if (Runtime.version().feature() >= 24) {
            f.add("--enable-native-access=ALL-UNNAMED");
            f.add("--sun-misc-unsafe-memory-access=allow");
        }
        return f;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new HashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            a.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Path root = Path.of(a.get("dir"));
        long nanos = seconds(a.get("seconds"));
        long warm = seconds(a.get("warmupSeconds"));
        long maxBytes = Long.parseLong(a.get("maxBytes"));
        long latNanos = seconds(a.get("latencySeconds"));
        int rate = Integer.parseInt(a.get("rate"));
        long p2cNanos = seconds(a.get("p2cSeconds"));
        Files.createDirectories(root);
        try {
            for (String s : a.get("sizes").split(",")) {
                int size = Integer.parseInt(s.trim());
                String sz = LogWorkloads.sizeName(size);
                long max = Math.max(1, maxBytes / size);
                // Warm-up: JIT, page-cache and file-system metadata, as the peer did.
                Path w = dir(root);
                append(w, size, warm, max, SyncMode.ASYNC, 0, null);
                read(w, size, warm * 4);
                delete(w);

                Path d = dir(root);
                double appendRate = append(d, size, nanos, max, SyncMode.ASYNC, 0, null);
                figure("append." + sz + ".default", "records/s", appendRate);
                figure("consume." + sz, "records/s", read(d, size, nanos * 4));
                delete(d);

                Histogram each = new Histogram(HIGHEST, 3);
                d = dir(root);
                figure("append." + sz + ".sync-each", "records/s", append(d, size, latNanos, max, SyncMode.SYNC, 1, each));
                delete(d);
                figure("ack." + sz + ".sync-each.p50", "us", each.getValueAtPercentile(50) / 1e3);
                figure("ack." + sz + ".sync-each.p99", "us", each.getValueAtPercentile(99) / 1e3);
                figure("ack." + sz + ".sync-each.p999", "us", each.getValueAtPercentile(99.9) / 1e3);

                d = dir(root);
                figure("append." + sz + ".sync-100", "records/s", append(d, size, nanos, max, SyncMode.SYNC, 100, null));
                delete(d);
            }
            Histogram p2c = produceToConsume(dir(root), 100, rate, Math.min(warm, p2cNanos), p2cNanos);
            figure("p2c.100B.spin.p50", "us", p2c.getValueAtPercentile(50) / 1e3);
            figure("p2c.100B.spin.p99", "us", p2c.getValueAtPercentile(99) / 1e3);
            figure("p2c.100B.spin.p999", "us", p2c.getValueAtPercentile(99.9) / 1e3);
        } finally {
            delete(root);
        }
    }

    /**
     * Appends until {@code nanos} pass or {@code max} records are written; {@code syncEvery} 0 = never sync,
     * 1 = after every append (timed into {@code perAppend}, append + sync), k = after every k and once at the end.
     * Returns records/s from the first append to the last sync.
     */
    static double append(Path dir, int size, long nanos, long max, SyncMode mode, int syncEvery,
                         @Nullable Histogram perAppend) {
        byte[] payload = LogWorkloads.payload(size);
        try (ChronicleQueue q = SingleChronicleQueueBuilder.single(dir.toFile()).syncMode(mode).build();
             ExcerptAppender ap = q.createAppender()) {
            long t0 = System.nanoTime();
            long deadline = t0 + nanos;
            long i = 0;
            while (i < max) {
                long s0 = perAppend != null ? System.nanoTime() : 0;
                try (DocumentContext dc = ap.writingDocument()) {
                    Bytes<?> b = dc.wire().bytes();
                    b.writeLong(i);
                    b.write(payload, 8, size - 8);
                }
                i++;
                if (syncEvery == 1) {
                    ap.sync();
                    if (perAppend != null) {
                        perAppend.recordValue(Math.min(System.nanoTime() - s0, HIGHEST));
                    }
                } else if (syncEvery > 1 && i % syncEvery == 0) {
                    ap.sync();
                }
                if ((i & 63) == 0 && System.nanoTime() >= deadline) {
                    break;
                }
            }
            if (syncEvery > 1 && i % syncEvery != 0) {
                ap.sync();
            }
            return i * 1e9 / (System.nanoTime() - t0);
        }
    }

    /** Reads the whole queue with a fresh tailer from the start, copying each excerpt out. Returns records/s. */
    static double read(Path dir, int size, long capNanos) {
        byte[] buf = new byte[size];
        try (ChronicleQueue q = SingleChronicleQueueBuilder.single(dir.toFile()).build(); ExcerptTailer t = q.createTailer()) {
            t.toStart();
            long count = 0;
            long sum = 0;
            long t0 = System.nanoTime();
            long deadline = t0 + capNanos;
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
                    int len = (int) b.readRemaining();
                    sum += b.readLong();
                    b.read(buf, 0, len - 8);
                    count++;
                }
                if ((count & 1023) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            double r = count * 1e9 / (System.nanoTime() - t0);
            if (sum < 0) {
                throw new IllegalStateException("sequence numbers overflowed");
            }
            return r;
        }
    }

    /** Appender paced to {@code rate}/s stamping nanoTime; a spinning tailer records now - stamp. */
    static Histogram produceToConsume(Path dir, int size, int rate, long warmNanos, long nanos) throws Exception {
        Histogram h = new Histogram(HIGHEST, 3);
        long warmCount = rate * warmNanos / 1_000_000_000L;
        long total = warmCount + rate * nanos / 1_000_000_000L;
        long period = 1_000_000_000L / rate;
        byte[] filler = new byte[Math.max(0, size - 16)];
        AtomicLong got = new AtomicLong();
        try (ChronicleQueue q = SingleChronicleQueueBuilder.single(dir.toFile()).build()) {
            long hardStop = System.nanoTime() + nanos + warmNanos + TimeUnit.SECONDS.toNanos(30);
            Thread reader = Thread.ofPlatform().name("chronicle-tailer").start(() -> {
                try (ExcerptTailer t = q.createTailer()) {
                    while (got.get() < total && System.nanoTime() < hardStop) {
                        try (DocumentContext dc = t.readingDocument()) {
                            if (dc.isPresent()) {
                                Bytes<?> b = dc.wire().bytes();
                                long stamp = b.readLong();
                                long seq = b.readLong();
                                long now = System.nanoTime();
                                if (seq >= warmCount) {
                                    h.recordValue(Math.min(Math.max(0, now - stamp), HIGHEST));
                                }
                                got.incrementAndGet();
                            }
                        }
                    }
                }
            });
            try (ExcerptAppender ap = q.createAppender()) {
                long start = System.nanoTime() + 50_000_000L;
                for (long i = 0; i < total; i++) {
                    long due = start + i * period;
                    while (System.nanoTime() < due) {
                        Thread.onSpinWait();
                    }
                    try (DocumentContext dc = ap.writingDocument()) {
                        Bytes<?> b = dc.wire().bytes();
                        b.writeLong(System.nanoTime());
                        b.writeLong(i);
                        b.write(filler);
                    }
                }
            }
            reader.join(TimeUnit.SECONDS.toMillis(60));
        }
        if (got.get() < total) {
            throw new IllegalStateException("Chronicle tailer read " + got.get() + " of " + total + " excerpts");
        }
        return h;
    }

    private static long seconds(String s) {
        return (long) (Double.parseDouble(s) * 1e9);
    }

    private static void figure(String name, String unit, double value) {
        System.out.println(String.format(Locale.ROOT, "FIGURE %s %s %.3f", name, unit, value));
        System.out.flush();
    }

    private static Path dir(Path root) {
        return root.resolve("q" + (++dirSeq));
    }

    static void delete(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
