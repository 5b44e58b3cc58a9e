package io.tributary.eventstore;

import java.util.List;

/**
 * What {@link AggregateRepository#handle} did with a command.
 *
 * @param <S> state type
 */
public sealed interface CommandResult<S> {

    /** The aggregate's stream. */
    String stream();

    /**
     * The command was accepted and its events appended (none if the decision had no events).
     *
     * @param stream   the stream
     * @param version  the stream's version after the append
     * @param state    the state after the events
     * @param events   the events as appended, in order, with their versions and positions ({@code recordedAt} is the
     *                 local clock at append, not read back)
     * @param attempts how many times the command was decided (more than 1 after conflicts)
     */
    record Accepted<S>(String stream, long version, S state, List<RecordedEvent> events, int attempts)
            implements CommandResult<S> {
        public Accepted {
            events = List.copyOf(events);
        }
    }

    /**
     * The command was rejected; nothing was appended.
     *
     * @param stream  the stream
     * @param version the version the decision was made on
     * @param reason  why, from {@link Decision.Reject}
     */
    record Rejected<S>(String stream, long version, String reason) implements CommandResult<S> {
    }
}
