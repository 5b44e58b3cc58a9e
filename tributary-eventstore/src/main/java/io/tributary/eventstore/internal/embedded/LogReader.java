package io.tributary.eventstore.internal.embedded;

import io.tributary.core.ErrorCode;
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
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reads records of the store's one partition by offset. {@link LogConsumer}s are not thread-safe, so readers borrow
 * one from a bounded pool (at most {@code poolSize} open at once; a reader waits for a free one).
 */
final class LogReader implements AutoCloseable {

    /** A gap larger than this between wanted offsets is crossed with a seek rather than read through. */
    private static final int SEEK_GAP = 64;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final long READ_TIMEOUT_MS = 30_000;

    private final EventLog log;
    private final TopicPartition partition;
    private final BlockingQueue<LogConsumer> idle;
    private final List<LogConsumer> all = new ArrayList<>();
    private final int poolSize;

    LogReader(EventLog log, String topic, int poolSize) {
        this.log = log;
        this.partition = new TopicPartition(topic, 0);
        this.poolSize = poolSize;
        this.idle = new ArrayBlockingQueue<>(poolSize);
    }

    private LogConsumer borrow() throws InterruptedException {
        LogConsumer c = idle.poll();
        if (c != null) {
            return c;
        }
        synchronized (all) {
            if (all.size() < poolSize) {
                LogConsumer created = log.consumer(ConsumerConfig.defaults().withClientId("tributary-eventstore-reader")
                        .withMaxPollRecords(1000));
                created.assign(List.of(partition));
                all.add(created);
                return created;
            }
        }
        return idle.take();
    }

    private void release(LogConsumer c) {
        idle.offer(c);
    }

    /** The offset after the last record in the log. */
    long endOffset() {
        return withConsumer(c -> c.endOffsets(Set.of(partition)).getOrDefault(partition, 0L));
    }

    long beginningOffset() {
        return withConsumer(c -> c.beginningOffsets(Set.of(partition)).getOrDefault(partition, 0L));
    }

    /** Records with offsets in [from, to), at most {@code max}, in offset order. */
    List<LogRecord> range(long from, long to, int max) {
        if (from >= to) {
            return List.of();
        }
        return withConsumer(c -> {
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
        return withConsumer(c -> {
            long deadline = System.currentTimeMillis() + READ_TIMEOUT_MS;
            long position = -1;
            int i = 0;
            while (i < offsets.size()) {
                long wanted = offsets.get(i);
                if (position < 0 || wanted < position || wanted - position > SEEK_GAP) {
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

    private void checkDeadline(long deadline, long offset) {
        if (System.currentTimeMillis() > deadline) {
            throw new RetriableException(ErrorCode.TIMEOUT, "Reading offset " + offset + " of " + partition
                    + " took more than " + READ_TIMEOUT_MS + " ms; the log engine may be overloaded. Retry.");
        }
    }

    private interface ConsumerCall<T> {
        T call(LogConsumer c);
    }

    private <T> T withConsumer(ConsumerCall<T> call) {
        LogConsumer c;
        try {
            c = borrow();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetriableException(ErrorCode.TIMEOUT, "Interrupted while waiting for a log reader; retry.", e);
        }
        try {
            return call.call(c);
        } finally {
            release(c);
        }
    }

    @Override
    public void close() {
        synchronized (all) {
            for (LogConsumer c : all) {
                c.close();
            }
            all.clear();
        }
    }
}
