package io.tributary.bench.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * This process's CPU time split by the kind of thread that spent it, from {@code /proc/self/task}: where a paired
 * trial's CPU per record goes (the appending thread, Kafka's producer I/O thread, the broker when it runs in this JVM,
 * the log's own threads, GC, JIT), so that a difference between two clients can be traced to a part.
 *
 * <p>Linux only; elsewhere {@link #snapshot()} is empty and callers print no split. Resolution is the kernel's clock
 * tick (10 ms), so a trial should spend at least a second of CPU for the split to mean much. Threads that end within a
 * trial (the appending threads do) are gone from the end snapshot: their time is measured by the thread itself
 * ({@link #APPENDING}) or falls into {@link #ENDED}.
 *
 * <p>Thread-safe: stateless.
 */
final class ThreadKindCpu {

    static final String APPENDING = "appending";
    static final String PRODUCER_IO = "producer I/O";
    static final String LOG_THREADS = "log threads";
    static final String GC = "GC";
    static final String JIT = "JIT";
    /**
     * The in-JVM broker and controller request threads: request handler and network threads
     * ({@code data-plane-kafka-request-handler-<n>}, {@code data-plane-kafka-network-thread-...}; in combined KRaft
     * mode the controller's have the same names, and during a trial handle mostly the broker's own heartbeats), all
     * {@code data-plane-kafk} to the kernel: the broker's cost of the produce requests themselves, fsync included
     * ({@code flush.messages=1} flushes in the handler). The acceptor threads ({@code data-plane-kafka-socket-acceptor-...})
     * have that kernel name too and fall in here, unlike in {@link KafkaUnderTest#REQUEST_THREADS}: the kernel's name
     * cannot tell them apart and Java gives no thread's kernel id to go by. They only accept connections, which a
     * trial's producer opened before the measured appends, so the two figures cover the same work. Apart from
     * {@link #OTHER} because that also holds whatever else runs meanwhile (the broker's scheduler deleting the trial
     * before's files, the JVM's VM thread, idle clients' threads), which a difference between clients should not be
     * read as the broker's.
     */
    static final String BROKER_REQUESTS = "broker requests";
    /** Every other live thread: the broker's background threads, the JVM's own (VM thread), the clients' others. */
    static final String OTHER = "other";
    static final String ENDED = "ended";
    /** Print order. */
    static final List<String> KINDS = List.of(APPENDING, PRODUCER_IO, LOG_THREADS, BROKER_REQUESTS, OTHER, GC, JIT,
            ENDED);

    private static final Path TASKS = Path.of("/proc/self/task");
    /** utime and stime are in clock ticks; USER_HZ is 100 on every Linux the JVM runs on. */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ThreadKindCpu() {
    }

    /** One live thread's kind and CPU ns so far. */
    record Sample(String kind, long cpuNs) {
    }

    /**
     * CPU ns so far of each live thread, by thread id, with its kind (appending threads are left out: they measure
     * themselves). Per thread, not summed by kind: the JVM starts and stops compiler threads as it likes, and a thread
     * that ended between two snapshots must not take its whole life's CPU out of its kind's figure.
     */
    static Map<Long, Sample> snapshot() {
        Map<Long, Sample> out = new LinkedHashMap<>();
        try (var dirs = Files.list(TASKS)) {
            for (Path task : (Iterable<Path>) dirs::iterator) {
                try {
                    String kind = kind(Files.readString(task.resolve("comm")).strip());
                    if (kind == null) {
                        continue;
                    }
                    String stat = Files.readString(task.resolve("stat"));
                    // fields after the ")" that closes the name: state is field 3, utime 14 and stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(Long.parseLong(task.getFileName().toString()),
                            new Sample(kind, (Long.parseLong(f[11]) + Long.parseLong(f[12])) * NANOS_PER_TICK));
                } catch (IOException | RuntimeException e) {
                    // the thread ended while we looked: its time shows up as ENDED
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return out;
    }

    /** The kind of a thread by its kernel name ({@code comm}, the first 15 chars of the Java name), or null. */
    static String kind(String comm) {
        if (comm.startsWith("bench-append")) {
            return null;
        }
        if (comm.startsWith("kafka-producer-")) {
            return PRODUCER_IO;
        }
        if (comm.startsWith("data-plane-kafk")) {
            return BROKER_REQUESTS;
        }
        if (comm.startsWith("tributary-")) {
            return LOG_THREADS;
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ")) {
            return GC;
        }
        if (comm.startsWith("C1 CompilerThre") || comm.startsWith("C2 CompilerThre")) {
            return JIT;
        }
        return OTHER;
    }

    /**
     * The split of one trial: each kind's CPU between two snapshots, thread by thread (a thread that started in
     * between counts from zero; one that ended in between is not in {@code after} and its share falls into
     * {@link #ENDED}), the appending threads' own {@code appendingNs}, and what the process spent beyond all of them
     * ({@link #ENDED}: threads that ended within the trial, and the ticks' rounding). Empty if either snapshot is.
     */
    static Map<String, Long> between(Map<Long, Sample> before, Map<Long, Sample> after, long appendingNs,
                                     long processNs) {
        if (before.isEmpty() || after.isEmpty() || processNs < 0) {
            return Map.of();
        }
        Map<String, Long> byKind = new LinkedHashMap<>();
        for (var e : after.entrySet()) {
            Sample was = before.get(e.getKey());
            long ns = e.getValue().cpuNs() - (was == null ? 0 : was.cpuNs());
            byKind.merge(e.getValue().kind(), Math.max(0, ns), Long::sum);
        }
        Map<String, Long> split = new LinkedHashMap<>();
        long accounted = 0;
        for (String kind : KINDS) {
            long ns = kind.equals(APPENDING) ? Math.max(0, appendingNs)
                    : kind.equals(ENDED) ? 0
                    : byKind.getOrDefault(kind, 0L);
            split.put(kind, ns);
            accounted += ns;
        }
        split.put(ENDED, Math.max(0, processNs - accounted));
        return split;
    }

    /** "appending 1.20, producer I/O 0.80, ..." in us per record; kinds that spent nothing are left out. */
    static String perRecord(Map<String, Long> split, long records) {
        if (split.isEmpty() || records <= 0) {
            return "";
        }
        StringBuilder b = new StringBuilder();
        for (var e : split.entrySet()) {
            double us = e.getValue() / 1e3 / records;
            if (us >= 0.005) {
                b.append(b.isEmpty() ? "" : ", ").append(e.getKey()).append(' ')
                        .append(String.format(Locale.ROOT, "%.2f", us));
            }
        }
        return b.toString();
    }
}
