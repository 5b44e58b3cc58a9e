package io.tributary.eventstore;

/**
 * An aggregate in the Decider style: pure functions, no framework types. The state is rebuilt by folding
 * {@link #evolve} over the stream's events from {@link #initialState()}; {@link #decide} turns a command into new
 * events or a rejection, and must not have side effects (it may run again after a conflict).
 *
 * @param <C> command type
 * @param <S> state type (immutable, e.g. a record)
 * @param <E> event type (e.g. a sealed interface of records)
 */
public interface Decider<C, S, E> {

    /** The state before any event. */
    S initialState();

    /** What the command causes, given the current state: events to append, or a rejection that appends nothing. */
    Decision<E> decide(C command, S state);

    /** The state after {@code event}. */
    S evolve(S state, E event);
}
