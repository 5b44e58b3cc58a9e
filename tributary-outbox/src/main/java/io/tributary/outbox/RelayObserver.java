package io.tributary.outbox;

import java.util.List;
import java.util.UUID;

/**
 * Told what a relay does, on the relay's thread; for logging, tracing and tests. Must not block for long: the
 * claimed rows stay locked while it runs.
 */
public interface RelayObserver {

    /**
     * The log acknowledged these events; their rows are marked published in the relay's open transaction, which is
     * not committed yet (if the relay dies now, they are published again).
     */
    default void published(List<UUID> eventIds) {
    }

    /** The rows are marked published and the transaction committed. */
    default void committed(List<UUID> eventIds) {
    }

    RelayObserver NONE = new RelayObserver() {
    };
}
