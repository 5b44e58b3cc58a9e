package io.tributary.projection.internal;

import io.tributary.projection.ProjectionContext;
import io.tributary.projection.ProjectionHandler;
import java.util.List;
import java.util.Objects;

/**
 * The batch handler behind {@link ProjectionHandler#perEvent}: calls the per-event handler for each event in order,
 * and, inside a projection, with that event as the cause of what the handler produces and its ids in the MDC.
 * Stateless; thread-safe as the wrapped handler is.
 */
public record EachEvent<E>(ProjectionHandler.PerEvent<E> handler) implements ProjectionHandler<E> {

    public EachEvent {
        Objects.requireNonNull(handler, "handler");
    }

    @Override
    public void apply(List<E> events, ProjectionContext context) throws Exception {
        if (context instanceof EventScope<?> scope) {
            @SuppressWarnings("unchecked")
            EventScope<E> s = (EventScope<E>) scope;
            for (E e : events) {
                s.each(e, () -> handler.apply(e, context));
            }
        } else {
            for (E e : events) {
                handler.apply(e, context);
            }
        }
    }

    /** A context that can observe single events (the runtime's own contexts). */
    interface EventScope<E> {
        void each(E event, ProjectionInstrumentation.Work work) throws Exception;
    }
}
