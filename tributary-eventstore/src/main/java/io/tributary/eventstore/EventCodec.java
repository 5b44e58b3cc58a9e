package io.tributary.eventstore;

/**
 * Turns domain events into stored events and back. Implementations are stateless and thread-safe.
 *
 * @param <E> the domain event type
 */
public interface EventCodec<E> {

    /** The stored type name of {@code event}, e.g. {@code Deposited}. */
    String typeOf(E event);

    /** The payload bytes. */
    byte[] encode(E event);

    /** The domain event of a stored one. */
    E decode(String type, byte[] data);
}
