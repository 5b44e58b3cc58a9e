package io.tributary.processing;

import io.tributary.log.TopicPartition;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Why a processor stopped on its own. Immutable and thread-safe; held in memory only (the
 * durable effect of a failure is that the group's committed offset stays at or below the failed event).
 *
 * <p>A processor stops when a handler's last attempt fails (retries exhausted or the failure is non-retryable) and its
 * policy is {@link DeadLetterPolicy#stopProcessor()}, when it cannot write a failed or parked event to its dead-letter
 * topic, or when the log itself fails. It never skips the failed event: the committed offset stays at or below it, so
 * a restarted processor (after the fix) handles it again.
 *
 * @param message   what failed, where, and what to do
 * @param cause     the handler's last exception, or the log's
 * @param partition the partition of the failed event, if a handler failed
 * @param offset    the offset of the failed event (the first of a failed batch), if a handler failed
 * @param attempts  attempts made, 0 if no handler was involved
 */
public record ProcessorFailure(String message, Throwable cause, Optional<TopicPartition> partition,
                               OptionalLong offset, int attempts) {

    public ProcessorFailure {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(offset, "offset");
    }
}
