package io.tributary.log;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Reads records, either from partitions it is {@link #assign assigned} or as a member of a consumer group it
 * {@link #subscribe subscribes} with.
 *
 * <p><b>Thread-safety:</b> not thread-safe, like Kafka's consumer: call it from one thread. Only {@link #wakeup()}
 * may be called from another thread.
 * <p><b>Ordering:</b> within a partition, records come in offset order with no gaps other than those left by
 * retention or compaction; across partitions there is no order.
 * <p><b>Positions:</b> each assigned partition has a position, the offset of the next record {@code poll} returns.
 * {@code poll} advances it; {@code seek*} moves it. Committed offsets are positions stored for the group.
 * <p><b>Group membership</b> is kept alive by calling {@code poll} (at least every
 * {@link ConsumerConfig#maxPollInterval()}); rebalances happen inside {@code poll}, where the
 * {@link RebalanceListener} is called.
 */
public interface LogConsumer extends AutoCloseable {

    /** Reads exactly these partitions, outside any group; replaces any previous assignment. */
    void assign(Collection<TopicPartition> partitions);

    /**
     * Joins the configured group ({@link ConsumerConfig#groupId()}, else {@link LogErrors#GROUP_ID_REQUIRED}) for
     * these topics; partitions are assigned by the group, in {@code poll}.
     */
    void subscribe(Collection<String> topics, RebalanceListener listener);

    /** Leaves the group or drops the assignment. */
    void unsubscribe();

    /** The partitions this consumer reads now. */
    Set<TopicPartition> assignment();

    /**
     * Returns records from unpaused assigned partitions, at most {@link ConsumerConfig#maxPollRecords()} and
     * about {@link ConsumerConfig#maxPollBytes()}, waiting up to {@code timeout} for at least one. Returns an empty
     * list on timeout or {@link #wakeup()}.
     */
    List<LogRecord> poll(Duration timeout);

    /** Moves the position of an assigned partition; {@link LogErrors#OFFSET_OUT_OF_RANGE} outside [start, end]. */
    void seek(TopicPartition partition, long offset);

    void seekToBeginning(Collection<TopicPartition> partitions);

    void seekToEnd(Collection<TopicPartition> partitions);

    /** Moves each partition to its first record with timestamp {@code >= timestamp}, or to the end if none. */
    void seekToTimestamp(Collection<TopicPartition> partitions, long timestamp);

    /** The position (next offset to read) of an assigned partition. */
    long position(TopicPartition partition);

    /** Stops returning records from these partitions until resumed; positions and ownership are kept. */
    void pause(Collection<TopicPartition> partitions);

    void resume(Collection<TopicPartition> partitions);

    Set<TopicPartition> paused();

    /** Commits the current position of every assigned partition for the group, durably, before returning. */
    void commitSync();

    /**
     * Commits these offsets (each the next offset to read) for the group. Partitions this member does not own
     * fail with {@link LogErrors#NOT_PARTITION_OWNER} and nothing is committed.
     */
    void commitSync(Map<TopicPartition, Long> offsets);

    /**
     * Starts committing these offsets (each the next offset to read) for the group and returns without waiting for
     * them to become durable, so the calling thread can go on polling while, on the embedded engine, the offset store
     * syncs. The checks of {@link #commitSync(Map)} (valid offsets, partitions owned) happen in this call and throw as
     * there; the future completes once the offsets are stored as durably as {@code commitSync} stores them (and
     * {@link #committed} returns them), or exceptionally if storing them failed.
     *
     * <p><b>Ordering:</b> the commits of one consumer take effect in call order (async or sync), so an earlier
     * commit never overwrites a later one. <b>Threads:</b> the future may complete on another thread; code chained
     * on it must not call this consumer, except {@link #wakeup()}.
     *
     * <p>The default commits synchronously ({@link #commitSync(Map)}) and returns a completed future; a backend that
     * can overlap the sync with polling overrides it.
     */
    default CompletableFuture<Void> commitAsync(Map<TopicPartition, Long> offsets) {
        commitSync(offsets);
        return CompletableFuture.completedFuture(null);
    }

    /** The group's committed offsets for these partitions; partitions with none are absent. */
    Map<TopicPartition, Long> committed(Set<TopicPartition> partitions);

    Map<TopicPartition, Long> beginningOffsets(Collection<TopicPartition> partitions);

    Map<TopicPartition, Long> endOffsets(Collection<TopicPartition> partitions);

    /** The number of partitions of a topic ({@link LogErrors#TOPIC_NOT_FOUND} if it does not exist). */
    int partitionCount(String topic);

    /** The member's identity for transactional offset commits; empty outside a group. */
    Optional<ConsumerGroupMetadata> groupMetadata();

    /** Makes a blocked or the next {@code poll} return at once with what it has. Thread-safe. */
    void wakeup();

    /** Leaves the group (triggering a rebalance for the others) and releases resources. Idempotent. */
    @Override
    void close();
}
