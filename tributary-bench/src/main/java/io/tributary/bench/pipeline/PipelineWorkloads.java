package io.tributary.bench.pipeline;

import io.tributary.bench.pipeline.PipelineSystem.Consumption;
import io.tributary.bench.pipeline.PipelineSystem.Feed;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * The pipeline suite's workloads, run the same way on every {@link PipelineSystem}. Each uses a fresh topic, deleted
 * afterwards, with keyed records ({@code keys} distinct keys, round robin) of {@code size} bytes whose first 8 bytes
 * are a {@link System#nanoTime()} stamp.
 * <ul>
 *   <li>{@link #throughput}: one producer thread appends as fast as the system accepts for {@code seconds} (one
 *       record per call, or {@code produceBatch} records per call), while the
 *       consumer side handles and commits; the figure is events / (first append to every event committed). Then a
 *       fresh group drains the same topic from the beginning: events / (first handled to every event committed).</li>
 *   <li>{@link #latency}: the producer appends at a fixed open-loop {@code rate}; each value is stamped with the
 *       time it was <em>due</em> (not when the paced thread got round to it), so a stalled producer or log counts
 *       against the latency instead of hiding it (no coordinated omission); the handler records completion minus
 *       stamp. The first {@code warmup} is handled but not recorded.</li>
 * </ul>
 * Not thread-safe: one suite thread drives it.
 */
final class PipelineWorkloads {

    /**
     * @param partitions     partitions per topic
     * @param keys           distinct record keys
     * @param size           value size in bytes (at least the 8-byte stamp)
     * @param seconds        measured time of a throughput run
     * @param warmup         un-measured time before measuring (a throughput run per system and mode; the start of a
     *                       latency run)
     * @param latencySeconds measured time of a latency run
     * @param rate           events/s of the latency runs
     * @param maxBytes       most value bytes per throughput run (bounds disk use)
     * @param timeout        longest wait for the consumer side to commit everything, or to join its group
     * @param produceBatch   records per producer call in throughput runs: 1 appends them one by one, more hands
     *                       them over together ({@link Feed#sendAll}, {@code LogProducer.appendAll} on ours)
     */
    record Settings(int partitions, int keys, int size, Duration seconds, Duration warmup, Duration latencySeconds,
                    int rate, long maxBytes, Duration timeout, int produceBatch) {
    }

    /**
     * @param events       events produced and committed
     * @param produceRate  events/s the producer achieved while the pipeline ran
     * @param e2eRate      events / (first append to all committed)
     * @param drainRate    events / (first handled to all committed) of a fresh group over the full topic, or NaN
     */
    record Throughput(long events, double produceRate, double e2eRate, double drainRate) {
    }

    /**
     * @param histogram  completion minus due time, ns, of the events due in the measured window
     * @param sentRate   events/s the paced producer achieved over the whole run (below the rate asked for when it
     *                   could not keep up; every event still carries its due time)
     * @param sent       events appended
     * @param scheduled  events the schedule called for; more than {@code sent} if the run was cut off at twice its
     *                   planned time because the system could not keep up (the missing ones would only have been
     *                   later, so the percentiles are then a lower bound)
     */
    record Latency(Histogram histogram, double sentRate, long sent, long scheduled) {
    }

    private final Settings s;
    private final PrintWriter progress;
    private final byte[][] keys;
    private int topicSeq;

    PipelineWorkloads(Settings settings, PrintWriter progress) {
        this.s = settings;
        this.progress = progress;
        this.keys = new byte[settings.keys()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ("key-" + i).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Produce flat out for {@code duration} while the consumer side runs; optionally drain again with a new group. */
    Throughput throughput(PipelineSystem sys, boolean batched, Duration duration, boolean drain) throws Exception {
        String topic = newTopic(sys, "e2e");
        try {
            long events;
            long t0;
            long produced;
            long committed;
            HandlerWork work = HandlerWork.counting();
            try (Consumption c = sys.start(topic, topic + "-g1", batched, work)) {
                awaitAssigned(sys, c);
                try (Feed feed = sys.feed(false)) {
                    t0 = System.nanoTime();
                    events = produceFlatOut(feed, topic, t0 + duration.toNanos());
                    feed.flush();
                    produced = System.nanoTime();
                    checkFeed(sys, feed, topic);
                }
                committed = awaitCommitted(sys, c, events);
            }
            double drainRate = Double.NaN;
            if (drain) {
                HandlerWork again = HandlerWork.counting();
                try (Consumption c = sys.start(topic, topic + "-g2", batched, again)) {
                    long done = awaitCommitted(sys, c, events);
                    drainRate = events / seconds(done - again.firstHandledNanos());
                }
            }
            return new Throughput(events, events / seconds(produced - t0), events / seconds(committed - t0), drainRate);
        } finally {
            deleteQuietly(sys, topic);
        }
    }

    /** Paced, open-loop production at {@code rate} for warm-up plus the measured window. */
    Latency latency(PipelineSystem sys, boolean batched) throws Exception {
        String topic = newTopic(sys, "latency");
        try {
            HandlerWork work = HandlerWork.timing();
            long sent = 0;
            long t0;
            long finished;
            try (Consumption c = sys.start(topic, topic + "-g1", batched, work)) {
                awaitAssigned(sys, c);
                try (Feed feed = sys.feed(true)) {
                    t0 = System.nanoTime();
                    long from = t0 + s.warmup().toNanos();
                    long end = from + s.latencySeconds().toNanos();
                    work.recordStampsIn(from, end);
                    byte[] value = new byte[s.size()];
                    double interval = 1e9 / s.rate();
                    // Bounded in time as well as count: a system that cannot keep up is cut off at twice the planned
                    // time; the figures then say how much of the schedule was sent.
                    long cutOff = t0 + 2 * (end - t0);
                    while (true) {
                        long due = t0 + (long) (sent * interval);
                        if (due >= end) {
                            break;
                        }
                        long now = System.nanoTime();
                        if (now > cutOff) {
                            break;
                        }
                        if (now < due) {
                            // Park instead of spinning: on 2 cores a spinning producer would take a whole core from
                            // the system under test. Late sends still carry their due time, so the sleep's
                            // granularity counts against us, not for us.
                            LockSupport.parkNanos(Math.min(due - now, 100_000));
                            continue;
                        }
                        HandlerWork.putStamp(value, due);
                        feed.send(topic, keys[(int) (sent % keys.length)], value);
                        sent++;
                    }
                    finished = System.nanoTime();
                    feed.flush();
                    checkFeed(sys, feed, topic);
                }
                awaitCommitted(sys, c, sent);
            }
            long scheduled = (long) Math.ceil((s.warmup().toNanos() + s.latencySeconds().toNanos()) * (s.rate() / 1e9));
            return new Latency(work.latencies(), sent / seconds(finished - t0), sent, scheduled);
        } finally {
            deleteQuietly(sys, topic);
        }
    }

    private long produceFlatOut(Feed feed, String topic, long endNanos) {
        long maxEvents = Math.max(1, s.maxBytes() / s.size());
        if (s.produceBatch() > 1) {
            return produceFlatOutInBatches(feed, topic, endNanos, maxEvents);
        }
        byte[] value = new byte[s.size()];
        long i = 0;
        while (i < maxEvents && ((i & 255) != 0 || System.nanoTime() < endNanos)) {
            HandlerWork.putStamp(value, System.nanoTime());
            feed.send(topic, keys[(int) (i % keys.length)], value);
            i++;
        }
        return i;
    }

    /** As {@link #produceFlatOut}, {@code produceBatch} records per producer call (the last one may be shorter). */
    private long produceFlatOutInBatches(Feed feed, String topic, long endNanos, long maxEvents) {
        int batch = s.produceBatch();
        byte[][] batchKeys = new byte[batch][];
        byte[][] values = new byte[batch][];
        for (int j = 0; j < batch; j++) {
            values[j] = new byte[s.size()];
        }
        long i = 0;
        while (i < maxEvents && System.nanoTime() < endNanos) {
            int n = (int) Math.min(batch, maxEvents - i);
            long now = System.nanoTime();
            for (int j = 0; j < n; j++) {
                batchKeys[j] = keys[(int) ((i + j) % keys.length)];
                HandlerWork.putStamp(values[j], now);
            }
            feed.sendAll(topic, batchKeys, values, n);
            i += n;
        }
        return i;
    }

    private String newTopic(PipelineSystem sys, String what) {
        String topic = "bench-pipeline-" + ProcessHandle.current().pid() + "-" + (++topicSeq) + "-" + what;
        sys.createTopic(topic, s.partitions());
        return topic;
    }

    private void awaitAssigned(PipelineSystem sys, Consumption c) throws InterruptedException {
        long deadline = System.nanoTime() + s.timeout().toNanos();
        while (c.assignedPartitions() < s.partitions()) {
            failIfStopped(sys, c);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(sys.label() + ": the consumer side owned " + c.assignedPartitions()
                        + " of " + s.partitions() + " partitions " + s.timeout().toSeconds() + " s after it started");
            }
            Thread.sleep(1);
        }
    }

    /** Waits until {@code events} are committed; returns when that was first seen ({@link System#nanoTime()}). */
    private long awaitCommitted(PipelineSystem sys, Consumption c, long events) throws InterruptedException {
        long deadline = System.nanoTime() + s.timeout().toNanos();
        while (true) {
            long committed = c.committed();
            if (committed >= events) {
                return System.nanoTime();
            }
            failIfStopped(sys, c);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: only %,d of %,d events were committed "
                        + "%d s after the last append", sys.label(), committed, events, s.timeout().toSeconds()));
            }
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    private static void failIfStopped(PipelineSystem sys, Consumption c) {
        c.failure().ifPresent(f -> {
            throw new IllegalStateException(sys.label() + ": the consumer side stopped: " + f);
        });
    }

    private static void checkFeed(PipelineSystem sys, Feed feed, String topic) {
        if (feed.failures() > 0) {
            throw new IllegalStateException(sys.label() + ": " + feed.failures() + " appends to '" + topic
                    + "' failed; first: " + feed.firstFailure().map(Throwable::toString).orElse("?"));
        }
    }

    private void deleteQuietly(PipelineSystem sys, String topic) {
        try {
            sys.deleteTopic(topic);
        } catch (RuntimeException e) {
            progress.println("[bench] " + sys.label() + ": could not delete topic '" + topic + "': " + e);
        }
    }

    private static double seconds(long nanos) {
        return Math.max(1, nanos) / 1e9;
    }
}
