package io.tributary.processing;

import io.tributary.core.Headers;
import io.tributary.log.LogRecord;
import io.tributary.log.TopicPartition;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One open dead-letter entry, as {@link DeadLetters} reads it from the dead-letter topic: the original event and,
 * for a dead entry, the failure that put it there. Immutable and thread-safe; byte arrays are not copied (treat them
 * as read-only).
 *
 * @param id            {@code <topic>-<partition>@<offset>} of the original event; stable across redrives
 * @param status        {@link Status#DEAD} (its last attempt failed) or {@link Status#PARKED} (waits behind a dead
 *                      entry of its key)
 * @param processor     the processor that wrote it
 * @param original      the original event as it was read: topic, partition, offset, timestamp, key, value, headers
 * @param failure       why it is dead; empty for a parked entry
 * @param parkedBehind  for a parked entry: the id of the dead entry of its key it waited behind
 * @param position      where the entry's latest record is in the dead-letter topic
 * @param dlqOffset     that record's offset
 * @param pendingAction an operator action requested for it that the processor has not carried out yet
 */
public record DeadLetter(String id, Status status, String processor, LogRecord original, Optional<Failure> failure,
                         Optional<String> parkedBehind, TopicPartition position, long dlqOffset,
                         Optional<DeadLetterAction> pendingAction) {

    /** Whether an entry failed itself or waits behind one that did. */
    public enum Status {
        DEAD,
        PARKED
    }

    /**
     * The failure of a dead entry.
     *
     * @param exceptionClass   class name of the last attempt's exception
     * @param message          its message (empty if it had none)
     * @param attempts         attempts made, including earlier redrives
     * @param firstFailureAt   when the first attempt failed
     * @param lastFailureAt    when the last attempt failed
     */
    public record Failure(String exceptionClass, String message, int attempts, Instant firstFailureAt,
                          Instant lastFailureAt) {
        public Failure {
            Objects.requireNonNull(exceptionClass, "exceptionClass");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(firstFailureAt, "firstFailureAt");
            Objects.requireNonNull(lastFailureAt, "lastFailureAt");
        }
    }

    public DeadLetter {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(processor, "processor");
        Objects.requireNonNull(original, "original");
        Objects.requireNonNull(failure, "failure");
        Objects.requireNonNull(parkedBehind, "parkedBehind");
        Objects.requireNonNull(position, "position");
        Objects.requireNonNull(pendingAction, "pendingAction");
    }

    /** The original event's key, or {@code null}. */
    public byte @Nullable [] key() {
        return original.key();
    }

    /** The original event's partition. */
    public TopicPartition source() {
        return original.topicPartition();
    }

    /** The original headers (without the dead-letter headers). */
    public Headers headers() {
        return original.headers();
    }

    /** The id of the entry for an event at this position. */
    public static String idOf(TopicPartition partition, long offset) {
        return partition.topic() + "-" + partition.partition() + "@" + offset;
    }

    public DeadLetter withPendingAction(Optional<DeadLetterAction> action) {
        return new DeadLetter(id, status, processor, original, failure, parkedBehind, position, dlqOffset, action);
    }
}
