package io.tributary.eventstore;

/**
 * Receives the events of a {@link Subscription}, one at a time, in global position order, on the subscription's own
 * (virtual) thread. An exception stops the subscription ({@link Subscription#failure()}); restart it from your last
 * stored checkpoint.
 */
@FunctionalInterface
public interface EventHandler {

    /** Handles one event. Store {@link RecordedEvent#position()} as your checkpoint when you have processed it. */
    void handle(RecordedEvent event) throws Exception;

    /**
     * Called each time the subscription reaches the committed watermark after catching up (the first call marks the
     * switch from catch-up to live). {@code position} is the checkpoint at that moment.
     */
    default void onCaughtUp(long position) {
    }
}
