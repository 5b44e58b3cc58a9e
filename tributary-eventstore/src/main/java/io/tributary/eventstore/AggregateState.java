package io.tributary.eventstore;

/**
 * An aggregate's state as loaded.
 *
 * @param stream  the stream
 * @param version the last version folded in ({@link StreamInfo#NO_STREAM} for a new aggregate)
 * @param state   the state
 * @param <S>     state type
 */
public record AggregateState<S>(String stream, long version, S state) {

    /** The expectation for appending on top of this state. */
    public ExpectedVersion expectedVersion() {
        return version == StreamInfo.NO_STREAM ? ExpectedVersion.noStream() : ExpectedVersion.exactly(version);
    }
}
