package io.tributary.eventstore;

/**
 * Encodes aggregate state for snapshots. {@link #type()} names the state's shape: change it when the shape changes
 * and old snapshots are ignored (the state is rebuilt from events). Stateless and thread-safe.
 *
 * @param <S> the state type
 */
public interface StateCodec<S> {

    /** The shape name stored with the snapshot, e.g. {@code Account.v1}. */
    String type();

    byte[] encode(S state);

    S decode(byte[] data);
}
