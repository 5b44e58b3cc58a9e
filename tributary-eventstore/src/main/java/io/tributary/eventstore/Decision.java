package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link Decider#decide}: accept with events (possibly none: the command changes nothing), or reject
 * with a reason a user can read.
 *
 * @param <E> event type
 */
public sealed interface Decision<E> {

    record Accept<E>(List<E> events) implements Decision<E> {
        public Accept {
            events = List.copyOf(events);
        }
    }

    record Reject<E>(String reason) implements Decision<E> {
        public Reject {
            Objects.requireNonNull(reason, "reason");
            if (reason.isBlank()) {
                throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "A rejection needs a reason the caller can act on, e.g. 'insufficient funds: balance 10, requested 25'.");
            }
        }
    }

    @SafeVarargs
    static <E> Decision<E> accept(E... events) {
        return new Accept<>(List.of(events));
    }

    static <E> Decision<E> accept(List<E> events) {
        return new Accept<>(events);
    }

    static <E> Decision<E> reject(String reason) {
        return new Reject<>(reason);
    }
}
