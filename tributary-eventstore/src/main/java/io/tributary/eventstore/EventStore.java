package io.tributary.eventstore;

import java.util.List;
import java.util.Optional;

/**
 * An event store: named streams of events with strict per-stream order and optimistic concurrency, one global order
 * ({@code $all}) that never skips, catch-up subscriptions, stream metadata, deletes and snapshots.
 *
 * <p><b>Ordering.</b> Versions in a stream are 0, 1, 2, … without gaps. Global positions are unique and increase in
 * {@code $all} order; they are not dense. Events of one stream appear in {@code $all} in version order.
 * <p><b>Visibility.</b> {@link #committedPosition()} is the watermark: every committed event at or below it is
 * visible to {@link #readAll}, and no event at or below it can still appear later. Reads of {@code $all} and
 * subscriptions only go up to it, which is why they never skip an event whatever the interleaving of commits.
 * <p><b>Durability.</b> An append returns once the events are durable (an fsync on the embedded engine, a
 * synchronous commit on PostgreSQL).
 * <p><b>Thread-safety.</b> Thread-safe; share one instance per process.
 */
public interface EventStore extends AutoCloseable {

    /** A checkpoint before every event: subscribe or read {@code $all} after it to start at the beginning. */
    long BEGINNING = -1L;

    /** The backend's name: {@code embedded} or {@code postgres}. */
    String backend();

    /**
     * Appends {@code events} (1 or more) to {@code stream} atomically, if the stream meets {@code expected}.
     *
     * @throws WrongExpectedVersionException the stream is not as expected; nothing was written
     * @throws DuplicateEventIdException     an event id was already written elsewhere; nothing was written
     * @throws StreamDeletedException        the stream is tombstoned
     */
    WriteResult append(String stream, ExpectedVersion expected, List<EventData> events);

    default WriteResult append(String stream, ExpectedVersion expected, EventData... events) {
        return append(stream, expected, List.of(events));
    }

    /**
     * Reads up to {@code maxCount} visible events of a stream starting at {@code fromVersion} (inclusive), ascending
     * or descending. A stream that does not exist (or is soft-deleted) reads as empty.
     *
     * @throws StreamDeletedException the stream is tombstoned
     */
    List<RecordedEvent> readStream(String stream, Direction direction, long fromVersion, int maxCount);

    default List<RecordedEvent> readStreamForward(String stream, long fromVersion, int maxCount) {
        return readStream(stream, Direction.FORWARD, fromVersion, maxCount);
    }

    default List<RecordedEvent> readStreamBackward(String stream, long fromVersion, int maxCount) {
        return readStream(stream, Direction.BACKWARD, fromVersion, maxCount);
    }

    /** The stream's last version and state. */
    StreamInfo streamInfo(String stream);

    /**
     * Reads up to {@code maxCount} committed, visible events of {@code $all} after {@code afterPosition}
     * (exclusive; {@link #BEGINNING} for the start) that match {@code filter}, in position order.
     */
    AllSlice readAll(long afterPosition, int maxCount, EventFilter filter);

    /** Reads the events of every stream of {@code category} ({@code order} for {@code order-42}), in position order. */
    default AllSlice readCategory(String category, long afterPosition, int maxCount) {
        return readAll(afterPosition, maxCount, EventFilter.category(category));
    }

    /** The committed watermark: everything at or below it is visible and final. */
    long committedPosition();

    /** Subscribes to {@code $all} (filtered: a stream, a category, a prefix, event types) after {@code afterPosition}. */
    Subscription subscribe(EventFilter filter, long afterPosition, SubscriptionConfig config, EventHandler handler);

    default Subscription subscribe(EventFilter filter, long afterPosition, EventHandler handler) {
        return subscribe(filter, afterPosition, SubscriptionConfig.defaults(), handler);
    }

    /** Replaces a stream's retention rules; the stream need not exist yet. */
    void setStreamMetadata(String stream, StreamMetadata metadata);

    /** A stream's retention rules ({@link StreamMetadata#none()} if never set). */
    StreamMetadata streamMetadata(String stream);

    /**
     * Soft-deletes a stream: its events become invisible, and the next append recreates it with versions that
     * continue after the old last version.
     */
    void deleteStream(String stream, ExpectedVersion expected);

    /**
     * Hard-deletes a stream: its events and snapshots are removed and a tombstone keeps the name from ever being
     * used again.
     */
    void tombstoneStream(String stream, ExpectedVersion expected);

    /** Stores a snapshot; a later one at the same version replaces it. */
    void saveSnapshot(Snapshot snapshot);

    /** The snapshot with the highest version at or below {@code maxVersion}. */
    Optional<Snapshot> latestSnapshot(String stream, long maxVersion);

    /** Stops subscriptions and releases resources. Idempotent. */
    @Override
    void close();
}
