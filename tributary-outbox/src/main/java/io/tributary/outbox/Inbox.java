package io.tributary.outbox;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;

/**
 * Applies each event at most once per consumer: a row keyed by (consumer, event id), written in the handler's own
 * database transaction. If {@link #markProcessed} returns {@code false} the event was already applied and the handler
 * skips it; otherwise the handler's changes and the inbox row commit or roll back together — exactly-once effects
 * under at-least-once delivery.
 *
 * <pre>{@code
 * connection.setAutoCommit(false);
 * if (inbox.markProcessed(connection, "payments", eventId)) {
 *     chargeCard(connection, order);          // your change, same transaction
 * }
 * connection.commit();
 * }</pre>
 *
 * <p><b>Concurrency:</b> two deliveries of one event in two concurrent transactions: the second insert waits for the
 * first transaction (row lock) and then sees the duplicate, so only one applies. Thread-safe (its only state is the
 * SQL text, built once per dialect).
 * <p><b>Retention:</b> rows must outlive any redelivery window; {@link #purgeOlderThan} deletes older ones.
 */
public final class Inbox {

    private final OutboxTables tables;
    private final Map<OutboxDialect, OutboxSql> sqlByDialect = new ConcurrentHashMap<>(new EnumMap<>(OutboxDialect.class));

    public Inbox(OutboxTables tables) {
        this.tables = Objects.requireNonNull(tables, "tables");
    }

    public Inbox() {
        this(OutboxTables.defaults());
    }

    /**
     * Records that {@code consumer} applies {@code eventId} in the connection's transaction. Returns {@code true} the
     * first time, {@code false} for a duplicate. The connection must not be in auto-commit mode.
     */
    public boolean markProcessed(Connection connection, String consumer, UUID eventId) {
        if (consumer.isBlank() || consumer.length() > 255) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Inbox consumer name '" + consumer
                    + "' must be 1 to 255 characters; use the processor's name, e.g. 'payments'.");
        }
        try {
            if (connection.getAutoCommit()) {
                throw new InvalidRequestException(OutboxErrors.OUTBOX_NOT_IN_TRANSACTION, "The connection is in "
                        + "auto-commit mode, so the inbox row for event " + eventId + " would not commit with the "
                        + "handler's changes; call connection.setAutoCommit(false) and commit yourself.");
            }
            // One statement: PostgreSQL and MariaDB skip a duplicate in the insert itself (0 rows); on H2 the unique
            // key rejects it (23505), which fails only that statement, not the transaction.
            OutboxSql s = sql(connection);
            try (PreparedStatement ps = connection.prepareStatement(s.inboxInsert)) {
                ps.setString(1, consumer);
                ps.setString(2, eventId.toString());
                ps.setLong(3, System.currentTimeMillis());
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState()) && s.dialect == OutboxDialect.H2) {
                    return false; // a concurrent transaction inserted it first
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not record event " + eventId
                    + " for consumer '" + consumer + "' in inbox table '" + tables.inbox() + "': " + e.getMessage()
                    + "; roll back and let the event be redelivered.", e);
        }
    }

    private OutboxSql sql(Connection connection) {
        // Detected per call (drivers answer from memory): one Inbox may serve pools of different databases.
        OutboxDialect dialect = OutboxDialect.detect(connection);
        return sqlByDialect.computeIfAbsent(dialect, d -> new OutboxSql(d, tables));
    }

    /** Deletes inbox rows older than {@code age}; returns how many. Keep {@code age} above any redelivery window. */
    public long purgeOlderThan(DataSource ds, Duration age) {
        long cutoff = System.currentTimeMillis() - age.toMillis();
        long deleted = 0;
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            OutboxSql s = sql(c);
            int n;
            do {
                try (PreparedStatement ps = c.prepareStatement(s.inboxPurge)) {
                    ps.setLong(1, cutoff);
                    ps.setInt(2, 5_000);
                    n = ps.executeUpdate();
                    deleted += n;
                }
            } while (n == 5_000);
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not purge inbox table '"
                    + tables.inbox() + "': " + e.getMessage() + "; retry later.", e);
        }
        return deleted;
    }
}
