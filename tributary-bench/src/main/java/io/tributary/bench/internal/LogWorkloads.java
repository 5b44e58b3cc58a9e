package io.tributary.bench.internal;

import io.tributary.bench.internal.LogClient.Receiver;
import io.tributary.bench.internal.LogClient.Sender;
import io.tributary.bench.internal.LogClient.Tuning;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.jspecify.annotations.Nullable;

/**
 * The log workloads, each written once against {@link LogClient} so ours and the peer's run the same code. Every
 * workload is bounded by time (and throughput runs also by a record count, to bound disk use).
 */
public final class LogWorkloads {

    /** Values carry {@code System.nanoTime()} at send in bytes 0-7 and a sequence number in bytes 8-15. */
    static final int STAMP_BYTES = 16;
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(120);
    /** Most value bytes unacknowledged at once in a throughput run, for every client alike (half a producer buffer). */
    public static final int MAX_IN_FLIGHT_BYTES = 16 * 1024 * 1024;
    /**
     * Records per {@link Sender#sendAll} call of a throughput run: how many the appending thread hands over between
     * two checks of the clock and the record bound, and the most one bulk call of our API carries.
     */
    public static final int RECORDS_PER_SEND_ALL = 64;

    private LogWorkloads() {
    }

    /** Most {@code size}-byte records unacknowledged at once in a throughput run: {@link #MAX_IN_FLIGHT_BYTES} of values. */
    public static int maxInFlight(int size) {
        return Math.max(1, MAX_IN_FLIGHT_BYTES / size);
    }

    /**
     * Records per second over a run, with what was counted, and the CPU time this whole process spent meanwhile
     * ({@code cpuNanos}; -1 where the JVM does not tell), broker threads included when the broker runs in this JVM.
     * CPU per record is the steadier figure on a loaded machine: other processes lengthen a run's wall time, but add
     * little to the CPU this process spends per record.
     */
    public record Throughput(long records, long nanos, long cpuNanos, Map<String, Long> cpuByKind) {
        public Throughput {
            cpuByKind = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(cpuByKind)); // print order
        }

        /** A run whose CPU is not split by thread kind. */
        public Throughput(long records, long nanos, long cpuNanos) {
            this(records, nanos, cpuNanos, Map.of());
        }

        public double perSecond() {
            return nanos == 0 ? 0 : records * 1e9 / nanos;
        }

        /** Microseconds of this process's CPU per record, or -1 if unknown. */
        public double cpuMicrosPerRecord() {
            return cpuNanos < 0 || records == 0 ? -1 : cpuNanos / 1e3 / records;
        }

        /** Microseconds of CPU per record of one kind of thread ({@link ThreadKindCpu}), or NaN if not split. */
        public double cpuMicrosPerRecord(String kind) {
            Long ns = cpuByKind.get(kind);
            return ns == null || records == 0 ? Double.NaN : ns / 1e3 / records;
        }
    }

    /** CPU time of this whole process so far in ns, or -1 if the JVM does not report it. */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    private static long cpuSince(long cpuAtStart) {
        long now = processCpuNanos();
        return cpuAtStart < 0 || now < 0 ? -1 : now - cpuAtStart;
    }

    /** {@code 100B}, {@code 1KiB}: how figure names spell a record size. */
    public static String sizeName(int size) {
        return size % 1024 == 0 ? (size / 1024) + "KiB" : size + "B";
    }

    /** A value of {@code size} bytes: a fixed, non-zero pattern (no compression is configured anywhere). */
    public static byte[] payload(int size) {
        byte[] v = new byte[size];
        for (int i = 0; i < size; i++) {
            v[i] = (byte) (i * 31 + 7);
        }
        return v;
    }

    /**
     * Appends keyless {@code size}-byte values from {@code threads} threads, as fast as the client accepts them with at
     * most {@link #MAX_IN_FLIGHT_BYTES} of values unacknowledged, until {@code duration} passes or {@code maxRecords}
     * were sent, then waits for every acknowledgement. Each thread hands its records over
     * {@link #RECORDS_PER_SEND_ALL} at a time ({@link Sender#sendAll}: the client's bulk call, or one call per
     * record). The time runs from the first send to the last acknowledgement.
     */
    public static Throughput append(LogClient client, String topic, int size, Duration duration, long maxRecords,
                                    int threads) throws InterruptedException {
        try (Sender sender = client.newSender(Tuning.THROUGHPUT, maxInFlight(size))) {
            return append(sender, client.label(), topic, size, duration, maxRecords, threads);
        }
    }

    /**
     * {@link #append(LogClient, String, int, Duration, long, int)} through a sender made (and perhaps primed) by the
     * caller, who closes it; {@code who} names the client in errors.
     */
    public static Throughput append(Sender sender, String who, String topic, int size, Duration duration,
                                    long maxRecords, int threads) throws InterruptedException {
        AtomicLong sent = new AtomicLong();
        AtomicReference<@Nullable Throwable> error = new AtomicReference<>();
        AtomicLong appendingCpu = new AtomicLong();
        Map<Long, ThreadKindCpu.Sample> kindsAtStart = ThreadKindCpu.snapshot();
        long cpuAtStart = processCpuNanos();
        long start = System.nanoTime();
        long deadline = start + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            workers.add(Thread.ofPlatform().name("bench-append-" + t).start(() -> {
                byte[] value = payload(size);
                try {
                    while (System.nanoTime() < deadline && sent.get() < maxRecords) {
                        sender.sendAll(topic, value, RECORDS_PER_SEND_ALL);
                        sent.addAndGet(RECORDS_PER_SEND_ALL);
                    }
                } catch (RuntimeException e) {
                    error.compareAndSet(null, e);
                } finally {
                    appendingCpu.addAndGet(java.lang.management.ManagementFactory.getThreadMXBean()
                            .getCurrentThreadCpuTime());
                }
            }));
        }
        for (Thread w : workers) {
            w.join();
        }
        sender.flush();
        long nanos = System.nanoTime() - start;
        long cpu = cpuSince(cpuAtStart);
        Map<String, Long> split = ThreadKindCpu.between(kindsAtStart, ThreadKindCpu.snapshot(), appendingCpu.get(), cpu);
        Throwable e = error.get();
        if (e == null && sender.failures() > 0) {
            e = sender.firstFailure().orElse(null);
        }
        if (e != null) {
            throw new IllegalStateException(who + ": appends to '" + topic + "' failed ("
                    + sender.failures() + " acknowledgements failed): " + e, e);
        }
        return new Throughput(sent.get(), nanos, cpu, split);
    }

    /**
     * Reads {@code topic} from the beginning with one consumer assigned every partition until {@code expected}
     * records arrived or {@code cap} passed. The time runs from the first poll to the last record.
     */
    public static Throughput consume(LogClient client, String topic, int partitions, long expected, Duration cap) {
        try (Receiver receiver = client.newReceiver(topic, partitions)) {
            long[] bytes = {0};
            long got = 0;
            long cpuAtStart = processCpuNanos();
            long start = System.nanoTime();
            long deadline = start + cap.toNanos();
            long last = start;
            while (got < expected && System.nanoTime() < deadline) {
                int n = receiver.poll(Duration.ofMillis(100), v -> bytes[0] += v.length);
                if (n > 0) {
                    got += n;
                    last = System.nanoTime();
                }
            }
            if (bytes[0] < 0) {
                throw new IllegalStateException("unreachable: keeps the byte count live");
            }
            return new Throughput(got, last - start, cpuSince(cpuAtStart));
        }
    }

    /**
     * Appends one {@code size}-byte record at a time to partition 0 and waits for its acknowledgement, for
     * {@code warmup} (not recorded) and then {@code duration}. Returns the histogram of acknowledgement times in ns.
     */
    public static Histogram ackLatency(LogClient client, String topic, int size, Duration warmup, Duration duration)
            throws Exception {
        Histogram h = new Histogram(HIGHEST_NANOS, 3);
        byte[] value = payload(size);
        try (Sender sender = client.newSender(Tuning.LATENCY, Integer.MAX_VALUE)) {
            long warmEnd = System.nanoTime() + warmup.toNanos();
            while (System.nanoTime() < warmEnd) {
                sender.sendAndWait(topic, 0, value);
            }
            long end = System.nanoTime() + duration.toNanos();
            long now;
            do {
                long t0 = System.nanoTime();
                sender.sendAndWait(topic, 0, value);
                now = System.nanoTime();
                h.recordValue(Math.min(now - t0, HIGHEST_NANOS));
            } while (now < end);
        }
        return h;
    }

    /**
     * Produce-to-consume latency at a fixed rate, in process: one thread appends {@code rate} records/s (paced by
     * spinning on the clock), each stamped with {@code System.nanoTime()}; one consumer thread reads partition 0 and
     * records {@code now - stamp}. {@code spin} makes the consumer poll with a zero timeout in a loop (as Chronicle's
     * tailer spins), otherwise it blocks in {@code poll(100 ms)} as applications do. The first {@code warmup} of
     * records is not recorded.
     */
    public static Histogram produceToConsume(LogClient client, String topic, int size, int rate, Duration warmup,
                                             Duration duration, boolean spin) throws Exception {
        Histogram h = new Histogram(HIGHEST_NANOS, 3);
        long warmCount = rate * warmup.toMillis() / 1000;
        long total = warmCount + rate * duration.toMillis() / 1000;
        long period = 1_000_000_000L / rate;
        AtomicLong received = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<@Nullable Throwable> readerError = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(1);
        Thread reader = Thread.ofPlatform().name("bench-p2c-reader").start(() -> {
            try (Receiver r = client.newReceiver(topic, 1)) {
                Duration timeout = spin ? Duration.ZERO : Duration.ofMillis(100);
                r.poll(Duration.ZERO, v -> { });
                ready.countDown();
                while (!stop.get() && received.get() < total) {
                    r.poll(timeout, v -> {
                        long now = System.nanoTime();
                        ByteBuffer b = ByteBuffer.wrap(v);
                        long stamp = b.getLong(0);
                        long seq = b.getLong(8);
                        if (seq >= warmCount) {
                            h.recordValue(Math.min(Math.max(0, now - stamp), HIGHEST_NANOS));
                        }
                        received.incrementAndGet();
                    });
                }
            } catch (Throwable e) {
                readerError.set(e);
                ready.countDown();
            }
        });
        try (Sender sender = client.newSender(Tuning.LATENCY, Integer.MAX_VALUE)) {
            if (!ready.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException(client.label() + ": the produce-to-consume reader did not start in 60 s");
            }
            byte[] value = payload(Math.max(size, STAMP_BYTES));
            ByteBuffer stamp = ByteBuffer.wrap(value);
            long start = System.nanoTime() + 10_000_000L;
            for (long i = 0; i < total && readerError.get() == null; i++) {
                long due = start + i * period;
                while (System.nanoTime() < due) {
                    Thread.onSpinWait();
                }
                stamp.putLong(8, i);
                stamp.putLong(0, System.nanoTime());
                sender.send(topic, 0, value);
            }
            sender.flush();
            if (sender.failures() > 0) {
                throw new IllegalStateException(client.label() + ": produce-to-consume appends failed: "
                        + sender.firstFailure().map(Throwable::toString).orElse("?"));
            }
        } finally {
            long wait = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (received.get() < total && readerError.get() == null && System.nanoTime() < wait) {
                Thread.sleep(5);
            }
            stop.set(true);
            reader.join(TimeUnit.SECONDS.toMillis(30));
        }
        Throwable e = readerError.get();
        if (e != null) {
            throw new IllegalStateException(client.label() + ": produce-to-consume reader failed: " + e, e);
        }
        if (received.get() < total) {
            throw new IllegalStateException(client.label() + ": produce-to-consume reader got " + received.get()
                    + " of " + total + " records within 30 s of the last send");
        }
        return h;
    }

    /**
     * The disk's floor for a durable ack: append {@code size} bytes to a file in {@code dir} and
     * {@code FileChannel.force(false)} (fdatasync), one after another, for {@code duration} after {@code warmup}.
     */
    public static Histogram rawFdatasync(Path dir, int size, Duration warmup, Duration duration) throws IOException {
        Histogram h = new Histogram(HIGHEST_NANOS, 3);
        Path file = dir.resolve("raw-fdatasync.bin");
        ByteBuffer buf = ByteBuffer.allocateDirect(size);
        buf.put(payload(size)).flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long warmEnd = System.nanoTime() + warmup.toNanos();
            long end = warmEnd + duration.toNanos();
            long now;
            do {
                buf.rewind();
                long t0 = System.nanoTime();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(false);
                now = System.nanoTime();
                if (t0 >= warmEnd) {
                    h.recordValue(Math.min(now - t0, HIGHEST_NANOS));
                }
            } while (now < end);
        } finally {
            Files.deleteIfExists(file);
        }
        return h;
    }
}
