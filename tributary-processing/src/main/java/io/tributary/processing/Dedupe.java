package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.log.LogRecord;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * Makes a handler effectively-once with an {@link EmbeddedDedupeStore}: each event is claimed under (processor, event
 * id) before the handler runs and the claim is committed after it returned, so a redelivered event whose claim was
 * committed is skipped. For handlers whose effects are in a database, use {@link JdbcHandlers#transactional}, which
 * commits the claim and the effects atomically.
 *
 * <p>Stateless and thread-safe.
 */
public final class Dedupe {

    private Dedupe() {
    }

    /**
     * Wraps {@code handler}: claim, run, commit; a duplicate returns without calling it; a failing call rolls the
     * claim back (so a retry or redelivery runs it again). Runs with the processor's threads, order and retries.
     *
     * @param processor the processor's name ({@link ProcessorConfig#name()}); claims are kept per name
     */
    public static EventHandler wrap(EmbeddedDedupeStore store, String processor, EventHandler handler) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(handler, "handler");
        checkProcessor(processor);
        return event -> {
            UUID id = eventId(event);
            try (EmbeddedDedupeStore.Transaction tx = store.begin()) {
                if (!store.claim(tx, processor, id)) {
                    return;
                }
                handler.handle(event);
                tx.commit();
            }
        };
    }

    /**
     * The id an event is deduplicated by: its {@code tributary-event-id} header if it has one (stable however often
     * it is published or copied), otherwise a name-based UUID of its position {@code topic/partition/offset} (stable
     * across redeliveries of that record, but a copy at another position counts as a different event).
     *
     * @throws InvalidRequestException if the event-id header is present but not a UUID
     */
    public static UUID eventId(LogRecord event) {
        return event.headers().eventId().orElseGet(() -> UUID.nameUUIDFromBytes(
                (event.topic() + "/" + event.partition() + "/" + event.offset()).getBytes(StandardCharsets.UTF_8)));
    }

    /** Validates a processor name as dedupe stores keep it (1 to 255 characters, as the inbox table's column). */
    static void checkProcessor(String processor) {
        Objects.requireNonNull(processor, "processor");
        if (processor.isBlank() || processor.length() > 255) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Dedupe processor name '" + processor
                    + "' must be 1 to 255 characters and not blank; use the processor's name, e.g. 'billing'.");
        }
    }
}
