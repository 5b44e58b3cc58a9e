package io.tributary.outbox;

import java.util.List;
import java.util.UUID;

/**
 * Told what a relay does, on the relay's thread; for logging, tracing and tests. Must not block for long: the
 * claimed rows stay locked while it runs.
 */
public interface RelayObserver {

    /** The log acknowledged these events; they are not yet marked published in the database. */
    default void published(List<UUID> eventIds) {
    }

    /** The rows are marked published and the transaction committed. */
    default void committed(List<UUID> eventIds) {
    }

    RelayObserver NONE = new RelayObserver() {
    };
}
