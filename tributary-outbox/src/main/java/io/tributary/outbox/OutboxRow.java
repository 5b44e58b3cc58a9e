package io.tributary.outbox;

import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * An outbox row as an operator sees it.
 *
 * @param id            row id
 * @param eventId       the event's id
 * @param topic         target topic
 * @param key           key bytes, or {@code null}
 * @param keySequence   per-key commit-order sequence (0 when keyless)
 * @param eventType     event type
 * @param status        pending, published, failed or skipped
 * @param attempts      publish attempts so far
 * @param lastError     the last failure's message
 * @param createdAt     when it was added (ms since epoch)
 */
public record OutboxRow(long id, UUID eventId, String topic, byte @Nullable [] key, long keySequence, String eventType,
                        Status status, int attempts, Optional<String> lastError, long createdAt) {

    /** A row's state. */
    public enum Status {
        PENDING, PUBLISHED, FAILED, SKIPPED;

        static Status of(int code) {
            return values()[code];
        }
    }
}
