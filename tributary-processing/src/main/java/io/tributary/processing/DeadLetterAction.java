package io.tributary.processing;

import java.time.Instant;
import java.util.Objects;

/**
 * An operator action on dead-letter entries, as recorded in the actions topic. Immutable and thread-safe.
 *
 * <p>A running processor carries out actions within {@link DeadLetterPolicy#actionCheckInterval()}; actions requested
 * while no processor runs are carried out at its next start. An action applies to the entries it selected
 * <em>when it was requested</em>: entries dead-lettered or parked later are not affected.
 *
 * @param id          the action's id (the key of its record)
 * @param kind        what to do
 * @param selection   which entries
 * @param requestedAt when it was requested
 * @param entries     how many open entries it selected when requested
 */
public record DeadLetterAction(String id, Kind kind, DeadLetterSelection selection, Instant requestedAt,
                               int entries) {

    /** What an action does. */
    public enum Kind {
        /**
         * Hand the entries to the handler again (after a fix), in their original order per key; a key's dead entries
         * go before its parked followers. An entry that fails again becomes dead again.
         */
        REDRIVE,
        /**
         * Give up on the dead entries (never handled); the parked followers of their keys are then handled, so the
         * keys move on. A parked entry is skipped only when selected by its id.
         */
        SKIP,
        /** Remove the entries, dead and parked, without handling any of them; their keys move on. */
        PURGE
    }

    public DeadLetterAction {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(requestedAt, "requestedAt");
    }
}
