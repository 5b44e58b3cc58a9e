package io.tributary.projection;

/**
 * Where a projection reads its events from: a log topic ({@link LogTopicSource}, events are
 * {@link io.tributary.log.LogRecord}s) or the event store ({@link EventStoreSource}, events are
 * {@link io.tributary.eventstore.RecordedEvent}s).
 *
 * <p>The projection's own checkpoint table is the source of truth for where it resumes: a log topic is read with
 * manual partition assignment and a seek to the stored offsets (no consumer group is joined or committed), and the
 * event store is read after the stored {@code $all} position.
 *
 * @param <E> the type of event the handler receives
 */
public sealed interface ProjectionSource<E> permits LogTopicSource, EventStoreSource {
}
