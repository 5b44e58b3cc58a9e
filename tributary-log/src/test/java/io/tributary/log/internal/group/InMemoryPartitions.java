package io.tributary.log.internal.group;

import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.log.LogErrors;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import io.tributary.log.internal.PartitionReads;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A test fixture: an in-memory {@link PartitionReads} with the storage side's contract (offsets from 0, retention by
 * moving the start, long-poll signal), so the consumer side can be tested before the real storage engine is merged.
 * Thread-safe; one lock for everything.
 */
final class InMemoryPartitions implements PartitionReads {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, List<List<LogRecord>>> topics = new TreeMap<>();
    private final Map<TopicPartition, Long> starts = new TreeMap<>();
    private long changeCount;

    void createTopic(String name, int partitions) {
        lock.lock();
        try {
            List<List<LogRecord>> ps = new ArrayList<>();
            for (int i = 0; i < partitions; i++) {
                ps.add(new ArrayList<>());
            }
            topics.put(name, ps);
            signal();
        } finally {
            lock.unlock();
        }
    }

    void deleteTopic(String name) {
        lock.lock();
        try {
            topics.remove(name);
            starts.keySet().removeIf(tp -> tp.topic().equals(name));
            signal();
        } finally {
            lock.unlock();
        }
    }

    /** Appends a record with this UTF-8 value (key = value) and timestamp; returns its offset. */
    long append(TopicPartition tp, String value, long timestamp) {
        lock.lock();
        try {
            List<LogRecord> p = partition(tp);
            long offset = p.size();
            byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
            p.add(new LogRecord(tp.topic(), tp.partition(), offset, timestamp, bytes, bytes, Headers.empty()));
            signal();
            return offset;
        } finally {
            lock.unlock();
        }
    }

    long append(TopicPartition tp, String value) {
        return append(tp, value, System.currentTimeMillis());
    }

    /** Retention: records below {@code offset} are gone. */
    void deleteBefore(TopicPartition tp, long offset) {
        lock.lock();
        try {
            partition(tp);
            starts.put(tp, offset);
            signal();
        } finally {
            lock.unlock();
        }
    }

    private void signal() {
        changeCount++;
        changed.signalAll();
    }

    private List<LogRecord> partition(TopicPartition tp) {
        List<List<LogRecord>> ps = topics.get(tp.topic());
        if (ps == null) {
            throw new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + tp.topic() + "' does not exist");
        }
        if (tp.partition() >= ps.size()) {
            throw new InvalidRequestException(LogErrors.PARTITION_OUT_OF_RANGE, tp + " is out of range");
        }
        return ps.get(tp.partition());
    }

    @Override
    public Set<String> topics() {
        lock.lock();
        try {
            return Set.copyOf(topics.keySet());
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int partitionCount(String topic) {
        lock.lock();
        try {
            List<List<LogRecord>> ps = topics.get(topic);
            if (ps == null) {
                throw new NotFoundException(LogErrors.TOPIC_NOT_FOUND, "Topic '" + topic + "' does not exist");
            }
            return ps.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long startOffset(TopicPartition tp) {
        lock.lock();
        try {
            partition(tp);
            return starts.getOrDefault(tp, 0L);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long endOffset(TopicPartition tp) {
        lock.lock();
        try {
            return partition(tp).size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<LogRecord> read(TopicPartition tp, long offset, int maxRecords, long maxBytes) {
        lock.lock();
        try {
            List<LogRecord> p = partition(tp);
            long start = starts.getOrDefault(tp, 0L);
            if (offset < start || offset > p.size()) {
                throw new InvalidRequestException(LogErrors.OFFSET_OUT_OF_RANGE, "Offset " + offset + " of " + tp
                        + " outside [" + start + ", " + p.size() + "]");
            }
            List<LogRecord> out = new ArrayList<>();
            long bytes = 0;
            for (long o = offset; o < p.size() && out.size() < maxRecords; o++) {
                LogRecord r = p.get((int) o);
                if (!out.isEmpty() && bytes + r.sizeInBytes() > maxBytes) {
                    break;
                }
                out.add(r);
                bytes += r.sizeInBytes();
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public OptionalLong offsetForTimestamp(TopicPartition tp, long timestamp) {
        lock.lock();
        try {
            List<LogRecord> p = partition(tp);
            for (long o = starts.getOrDefault(tp, 0L); o < p.size(); o++) {
                if (p.get((int) o).timestamp() >= timestamp) {
                    return OptionalLong.of(o);
                }
            }
            return OptionalLong.empty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long changeCount() {
        lock.lock();
        try {
            return changeCount;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long awaitChange(long seen, long timeoutNanos) throws InterruptedException {
        lock.lock();
        try {
            long left = timeoutNanos;
            while (changeCount == seen && left > 0) {
                left = changed.awaitNanos(Math.min(left, TimeUnit.DAYS.toNanos(1)));
            }
            return changeCount;
        } finally {
            lock.unlock();
        }
    }
}
