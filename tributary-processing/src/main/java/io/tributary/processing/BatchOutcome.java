package io.tributary.processing;

import io.tributary.log.LogRecord;
import java.util.List;
import java.util.Objects;

/** What a {@link PartialBatchHandler} call did with its batch. Immutable values. */
public sealed interface BatchOutcome {

    /** Every event of the batch was completed. */
    static BatchOutcome completed() {
        return Completed.INSTANCE;
    }

    /**
     * The events named were not completed: the processor hands each of them again in a call of its own (with any later
     * events of the same key in the batch after it); the batch's other events are complete. An empty list is the same
     * as {@link #completed()}.
     */
    static BatchOutcome handAgainAlone(List<LogRecord> events) {
        return events.isEmpty() ? completed() : new HandAgainAlone(events);
    }

    /** Every event of the batch was completed. */
    enum Completed implements BatchOutcome {
        INSTANCE
    }

    /**
     * These events of the batch were not completed and go again one per call.
     *
     * @param events records of the batch, as given to the handler; at least one
     */
    record HandAgainAlone(List<LogRecord> events) implements BatchOutcome {
        public HandAgainAlone {
            events = List.copyOf(Objects.requireNonNull(events, "events"));
            if (events.isEmpty()) {
                throw new IllegalArgumentException("HandAgainAlone needs at least one event; return "
                        + "BatchOutcome.completed() when the handler completed them all");
            }
        }
    }
}
