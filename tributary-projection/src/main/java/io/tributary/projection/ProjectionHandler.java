package io.tributary.projection;

import java.util.List;

/**
 * Applies a batch of events to the read model, writing through {@link ProjectionContext#connection()}.
 *
 * <p><b>Ordering:</b> events arrive in source order: a log partition's in offset order (a batch may mix partitions),
 * the event store's in global position order. <b>Threads:</b> called from the projection's single worker thread
 * per version (during a rebuild the live and the shadow version run on two threads, with two instances of the
 * handler's state if it keeps any). <b>Failures:</b> an exception rolls back the whole batch, rows and checkpoint;
 * the batch is retried by the projection's {@link io.tributary.processing.RetryPolicy}.
 *
 * @param <E> the event type of the source
 */
@FunctionalInterface
public interface ProjectionHandler<E> {

    void apply(List<E> events, ProjectionContext context) throws Exception;

    /** A handler for one event at a time; still one transaction per batch. */
    @FunctionalInterface
    interface PerEvent<E> {
        void apply(E event, ProjectionContext context) throws Exception;
    }

    /**
     * Adapts a per-event handler. In a projection each call runs with that event as the cause of what the handler
     * produces ({@link io.tributary.processing.ProcessingContext#current()}) and with its ids in the MDC.
     */
    static <E> ProjectionHandler<E> perEvent(PerEvent<E> handler) {
        return new io.tributary.projection.internal.EachEvent<>(handler);
    }
}
