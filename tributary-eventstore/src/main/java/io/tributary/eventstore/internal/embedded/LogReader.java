package io.tributary.eventstore.internal.embedded;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.log.ConsumerConfig;
import io.tributary.log.EventLog;
import io.tributary.log.LogConsumer;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * Reads records of the store's one partition by offset. {@link LogConsumer}s are not thread-safe, so readers borrow
 * one from a pool; at most {@code poolSize} reads run at once (a reader waits for a free slot).
 *
 * <p>A consumer's {@code maxPollRecords} is fixed when it is created, and one poll decodes up to that many records.
 * A point read through a 1000-record consumer used to decode up to 1000 records to return one (a stream's events are
 * usually one record per append, scattered over the log), which capped stream reads at a few hundred per second per
 * thread. So consumers come in size classes ({@link #SIZE_CLASSES}) and each read borrows the smallest class that
 * covers the stretch it reads without seeking: a single offset reads exactly one record.
 *
 * <p>Thread-safe.
 */
final class LogReader implements AutoCloseable {

    /** The {@code maxPollRecords} of the pooled consumers, ascending; the last one is used for range reads. */
    static final int[] SIZE_CLASSES = {1, 16, 128, 1000};
    /** A gap larger than this between wanted offsets is crossed with a seek rather than read through. */
    private static final int SEEK_GAP = 64;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long READ_TIMEOUT_MS = 30_000;

    private final EventLog log;
    private final TopicPartition partition;
    /** Idle consumers per size class (index into {@link #SIZE_CLASSES}). */
    private final List<ConcurrentLinkedQueue<LogConsumer>> idle = new ArrayList<>();
    private final List<LogConsumer> all = new ArrayList<>();
    private final Semaphore slots;
    private boolean closed;

    LogReader(EventLog log, String topic, int poolSize) {
        this.log = log;
        this.partition = new TopicPartition(topic, 0);
        this.slots = new Semaphore(poolSize);
        for (int i = 0; i < SIZE_CLASSES.length; i++) {
            idle.add(new ConcurrentLinkedQueue<>());
        }
    }

    /** The smallest size class holding {@code records}, or the largest. */
    static int sizeClassFor(long records) {
        for (int i = 0; i < SIZE_CLASSES.length; i++) {
            if (records <= SIZE_CLASSES[i]) {
                return i;
            }
        }
        return SIZE_CLASSES.length - 1;
    }

    /** Caller holds a slot; a consumer is created on first need, so at most poolSize per class ever exist. */
    private LogConsumer borrow(int sizeClass) {
        LogConsumer c = idle.get(sizeClass).poll();
        if (c != null) {
            return c;
        }
        LogConsumer created = log.consumer(ConsumerConfig.defaults().withClientId("tributary-eventstore-reader")
                .withMaxPollRecords(SIZE_CLASSES[sizeClass]));
        created.assign(List.of(partition));
        synchronized (all) {
            if (closed) {
                created.close();
                throw new InvalidRequestException(ErrorCode.CLOSED, "The event store is closed; open it again to read.");
            }
            all.add(created);
        }
        return created;
    }

    private void release(int sizeClass, LogConsumer c) {
        idle.get(sizeClass).offer(c);
    }

    /** The offset after the last record in the log. */
    long endOffset() {
        return withConsumer(0, c -> c.endOffsets(Set.of(partition)).getOrDefault(partition, 0L));
    }

    long beginningOffset() {
        return withConsumer(0, c -> c.beginningOffsets(Set.of(partition)).getOrDefault(partition, 0L));
    }

    /** Records with offsets in [from, to), at most {@code max}, in offset order. */
    List<LogRecord> range(long from, long to, int max) {
        if (from >= to) {
            return List.of();
        }
        return withConsumer(sizeClassFor(Math.min(to - from, max)), c -> {
            List<LogRecord> out = new ArrayList<>();
            c.seek(partition, from);
            long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
            long next = from;
            while (next < to && out.size() < max) {
                List<LogRecord> batch = c.poll(POLL);
                if (batch.isEmpty()) {
                    checkDeadline(deadline, next);
                    continue;
                }
                for (LogRecord r : batch) {
                    if (r.offset() >= next && r.offset() < to && out.size() < max) {
                        out.add(r);
                    }
                    next = Math.max(next, r.offset() + 1);
                }
            }
            return out;
        });
    }

    /** The records at these offsets (ascending), keyed by offset. */
    Map<Long, LogRecord> at(List<Long> offsets) {
        Map<Long, LogRecord> out = new HashMap<>();
        if (offsets.isEmpty()) {
            return out;
        }
        int sizeClass = sizeClassFor(longestStretch(offsets));
        int seekGap = Math.min(SEEK_GAP, SIZE_CLASSES[sizeClass]);
        return withConsumer(sizeClass, c -> {
            long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
            long position = -1;
            int i = 0;
            while (i < offsets.size()) {
                long wanted = offsets.get(i);
                if (position < 0 || wanted < position || wanted - position > seekGap) {
                    c.seek(partition, wanted);
                    position = wanted;
                }
                List<LogRecord> batch = c.poll(POLL);
                if (batch.isEmpty()) {
                    checkDeadline(deadline, wanted);
                    continue;
                }
                for (LogRecord r : batch) {
                    position = r.offset() + 1;
                    while (i < offsets.size() && offsets.get(i) < r.offset()) {
                        i++; // an offset the log no longer has (never happens with retention off); skip it
                    }
                    if (i < offsets.size() && offsets.get(i) == r.offset()) {
                        out.put(r.offset(), r);
                        i++;
                    }
                }
            }
            return out;
        });
    }

    /**
     * The most records one read through {@code offsets} (ascending) takes without seeking: runs whose gaps are at most
     * {@link #SEEK_GAP} are read through, so a poll should cover the longest such run and no more.
     */
    private static long longestStretch(List<Long> offsets) {
        long longest = 1;
        long runStart = offsets.getFirst();
        long prev = runStart;
        for (int i = 1; i < offsets.size(); i++) {
            long o = offsets.get(i);
            if (o - prev > SEEK_GAP) {
                runStart = o;
            }
            longest = Math.max(longest, o - runStart + 1);
            prev = o;
        }
        return longest;
    }

    private void checkDeadline(long deadline, long offset) {
        if (System.currentTimeMillis() > deadline) {
            throw new RetriableException(ErrorCode.TIMEOUT, "Reading offset " + offset + " of " + partition
                    + " took more than " + READ_TIMEOUT_MS + " ms; the log engine may be overloaded. Retry.");
        }
    }

    private interface ConsumerCall<T> {
        T call(LogConsumer c);
    }

    private <T> T withConsumer(int sizeClass, ConsumerCall<T> call) {
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(ErrorCode.TIMEOUT, "Interrupted while waiting for a log reader; retry.", e);
        }
        try {
            LogConsumer c = borrow(sizeClass);
            try {
                return call.call(c);
            } finally {
                release(sizeClass, c);
            }
        } finally {
            slots.release();
        }
    }

    @Override
    public void close() {
        synchronized (all) {
            for (LogConsumer c : all) {
                c.close();
            }
            all.clear();
            closed = true;
        }
    }
}
