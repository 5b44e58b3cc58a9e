package io.tributary.eventstore;

import java.time.Duration;
import java.util.Optional;

/**
 * A running catch-up subscription: it reads committed events after the caller's checkpoint, then keeps delivering
 * new ones as they commit. There is no separate "live" phase that could open a gap or repeat an event: catch-up and
 * live read the same committed, position-ordered log below the watermark, so every matching event is delivered
 * exactly once, in position order.
 *
 * <p>The checkpoint belongs to the caller: store {@link RecordedEvent#position()} after handling an event and pass it
 * to {@link EventStore#subscribe} on restart. Thread-safe.
 */
public interface Subscription extends AutoCloseable {

    /** The checkpoint reached: every matching event at or below it has been handed to the handler. */
    long position();

    /** Whether the subscription has caught up at least once (it may have fallen behind again since). */
    boolean isLive();

    /** Why it stopped, if the handler or a read failed. */
    Optional<Throwable> failure();

    /** Waits until {@link #position()} reaches {@code position}; false on timeout or failure. */
    boolean awaitPosition(long position, Duration timeout) throws InterruptedException;

    /** Stops reading and delivering; waits for the handler to return. Idempotent. */
    @Override
    void close();
}
