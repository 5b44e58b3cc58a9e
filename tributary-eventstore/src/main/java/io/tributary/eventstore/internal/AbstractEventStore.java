package io.tributary.eventstore.internal;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventHandler;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStoreErrors;
import io.tributary.eventstore.StreamName;
import io.tributary.eventstore.Subscription;
import io.tributary.eventstore.SubscriptionConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What both backends share: argument checks, the append signal that wakes live subscriptions, and the subscriptions
 * themselves, which are built only on {@link #readAll} and {@link #committedPosition()} so that their no-gap,
 * no-duplicate guarantee rests on the backend's watermark alone.
 */
public abstract class AbstractEventStore implements EventStore {

    /** Most events in one append: positions reserve 20 bits for the index of an event within its commit. */
    public static final int MAX_BATCH_EVENTS = 65_535;

    private final Object appendSignal = new Object();
    private long appendSequence;
    private final Set<SubscriptionRunner> subscriptions = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** Wakes live subscriptions: called after every successful local write. */
    protected final void signalAppended() {
        synchronized (appendSignal) {
            appendSequence++;
            appendSignal.notifyAll();
        }
    }

    /** The current append sequence, to pass to {@link #awaitAppend}. */
    final long appendSequence() {
        synchronized (appendSignal) {
            return appendSequence;
        }
    }

    /** Waits until an append after {@code seen} happened, or {@code millis} passed. */
    final void awaitAppend(long seen, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        synchronized (appendSignal) {
            while (appendSequence == seen && !closed) {
                long left = (deadline - System.nanoTime()) / 1_000_000L;
                if (left <= 0) {
                    return;
                }
                appendSignal.wait(left);
            }
        }
    }

    @Override
    public Subscription subscribe(EventFilter filter, long afterPosition, SubscriptionConfig config, EventHandler handler) {
        Objects.requireNonNull(filter, "filter");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(handler, "handler");
        ensureOpen();
        SubscriptionRunner runner = new SubscriptionRunner(this, filter, afterPosition, config, handler, subscriptions::remove);
        subscriptions.add(runner);
        runner.start();
        return runner;
    }

    /** Stops every subscription, then marks the store closed. Backends call it first in {@code close()}. */
    protected final boolean markClosed() {
        if (closed) {
            return false;
        }
        closed = true;
        for (SubscriptionRunner s : List.copyOf(subscriptions)) {
            s.close();
        }
        synchronized (appendSignal) {
            appendSignal.notifyAll();
        }
        return true;
    }

    protected final boolean isClosed() {
        return closed;
    }

    protected final void ensureOpen() {
        if (closed) {
            throw new InvalidRequestException(ErrorCode.CLOSED, "The " + backend()
                    + " event store is closed; open a new one with EventStores.open(...).");
        }
    }

    /**
     * Checks a batch before any I/O: a named stream, 1 to {@link #MAX_BATCH_EVENTS} events, distinct ids. Returns the
     * stream's category.
     */
    protected static String checkAppend(String stream, List<EventData> events) {
        validateAppend(stream, events);
        return StreamName.categoryOf(stream);
    }

    /** {@link #checkAppend} for a backend that does not need the category (no substring per append). */
    protected static void validateAppend(String stream, List<EventData> events) {
        StreamName.validate(stream);
        Objects.requireNonNull(events, "events");
        if (events.isEmpty()) {
            throw new InvalidRequestException(EventStoreErrors.INVALID_EVENT, "Append to stream '" + stream
                    + "' has no events; pass at least one EventData.");
        }
        if (events.size() > MAX_BATCH_EVENTS) {
            throw new InvalidRequestException(EventStoreErrors.INVALID_EVENT, "Append to stream '" + stream
                    + "' has " + events.size() + " events; the limit per append is " + MAX_BATCH_EVENTS
                    + ". Split it into several appends with expected versions.");
        }
        if (events.size() == 1) {
            Objects.requireNonNull(events.getFirst(), "event"); // one event cannot repeat an id: no set to allocate
            return;
        }
        Set<UUID> ids = new HashSet<>();
        for (EventData e : events) {
            Objects.requireNonNull(e, "event");
            if (!ids.add(e.eventId())) {
                throw new InvalidRequestException(EventStoreErrors.INVALID_EVENT, "Append to stream '" + stream
                        + "' contains event id " + e.eventId() + " twice; every event needs its own id.");
            }
        }
    }

    protected static void checkMaxCount(int maxCount) {
        if (maxCount < 1) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT,
                    "maxCount=" + maxCount + " must be at least 1, e.g. 500.");
        }
    }

    /** The error for a backend that is temporarily unreachable. */
    protected RetriableException unavailable(String what, Throwable cause) {
        return new RetriableException(ErrorCode.UNAVAILABLE, "The " + backend() + " event store could not " + what
                + ": " + cause.getMessage() + ". Check that the backend is up; the operation may be retried.", cause);
    }
}
