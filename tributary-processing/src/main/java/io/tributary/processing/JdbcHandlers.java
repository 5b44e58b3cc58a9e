package io.tributary.processing;

import java.sql.Connection;
import java.util.Objects;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Adapts a {@link JdbcEventHandler} to an {@link EventHandler} that runs each event in one database transaction with
 * its dedupe claim: exactly-once effects in that database under the processor's at-least-once delivery.
 *
 * <p>Stateless and thread-safe; each call takes its own connection from the data source (size the pool to the
 * processor's concurrency: partitions times {@link ProcessorConfig#concurrencyPerPartition()}).
 */
public final class JdbcHandlers {

    private JdbcHandlers() {
    }

    /**
     * For each event: takes a connection, turns auto-commit off, claims (processor, {@link Dedupe#eventId}) in
     * {@code store}; a duplicate is rolled back and skipped; otherwise runs {@code handler} and commits claim and
     * changes together. Any failure rolls everything back and rethrows, so the processor's retry policy applies and a
     * later attempt starts clean.
     *
     * @param processor the processor's name ({@link ProcessorConfig#name()})
     */
    public static EventHandler transactional(DataSource dataSource, JdbcDedupeStore store, String processor,
                                             JdbcEventHandler handler) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(handler, "handler");
        Dedupe.checkProcessor(processor);
        return event -> {
            UUID id = Dedupe.eventId(event);
            try (Connection c = dataSource.getConnection()) {
                c.setAutoCommit(false);
                try {
                    if (store.claim(c, processor, id)) {
                        handler.handle(event, c);
                        c.commit();
                    } else {
                        c.rollback();
                    }
                } catch (Throwable t) {
                    try {
                        c.rollback();
                    } catch (Exception suppressed) {
                        t.addSuppressed(suppressed);
                    }
                    throw t;
                }
            }
        };
    }
}
