package io.tributary.processing.spi;

import java.time.Duration;
import java.util.UUID;

/**
 * Remembers which events each processor has handled, keyed by (processor name, event id), so that a handler applies
 * an event at most once however often the log redelivers it. Together with the processor's at-least-once delivery
 * this makes a handler effectively-once.
 *
 * <p>A claim joins a transaction of type {@code T} (a {@link java.sql.Connection} for the JDBC store, the store's own
 * transaction for the embedded one): it becomes durable when that transaction commits and disappears when it rolls
 * back, so the claim and the handler's effects are kept or dropped together. The handler adapters
 * ({@code Dedupe.wrap}, {@code JdbcHandlers.transactional}) do this for you.
 *
 * <p><b>Ordering and concurrency:</b> claims of different keys are independent. While one open transaction holds a
 * claim, a second claim of the same key waits for it to end and then returns {@code false} if it committed or
 * {@code true} if it rolled back. Implementations are thread-safe.
 * <p><b>Durability:</b> a committed claim survives a restart (and a crash after the commit returned) until it is older
 * than the store's retention window or {@link #purgeOlderThan} removed it; keep the window longer than any
 * redelivery can take (the time a processor may be down plus its commit interval).
 *
 * @param <T> the transaction a claim joins
 */
public interface DedupeStore<T> {

    /**
     * Claims event {@code eventId} for {@code processor} inside {@code transaction}. Returns {@code true} the first
     * time: apply the event in the same transaction, then commit it. Returns {@code false} if a committed claim
     * exists: the event was handled already, skip it.
     *
     * @throws io.tributary.core.InvalidRequestException if {@code processor} is blank or longer than 255 characters,
     *         or the transaction cannot hold a claim (e.g. an auto-commit connection)
     */
    boolean claim(T transaction, String processor, UUID eventId);

    /** Whether a committed claim of (processor, event id) exists. Reads outside any transaction. */
    boolean isHandled(String processor, UUID eventId);

    /** Deletes committed claims older than {@code age}; returns how many were deleted. */
    long purgeOlderThan(Duration age);
}
