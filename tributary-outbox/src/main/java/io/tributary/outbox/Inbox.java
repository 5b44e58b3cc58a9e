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
import java.util.HashSet;
import java.util.List;
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
        checkConsumer(consumer);
        try {
            checkInTransaction(connection, eventId);
            // One statement: PostgreSQL and MariaDB skip a duplicate in the insert itself (0 rows); on H2 the unique
            // key rejects it (23505), which fails only that statement, not the transaction.
            OutboxSql s = sql(connection);
            try (PreparedStatement ps = connection.prepareStatement(s.inboxInsert)) {
                return insert(ps, s, consumer, eventId, System.currentTimeMillis());
            }
        } catch (SQLException e) {
            throw databaseError(consumer, eventId, e);
        }
    }

    /**
     * Records, in the connection's transaction, that {@code consumer} applies each of {@code eventIds}, in list order;
     * returns one flag per id, {@code true} where {@link #markProcessed} would have returned {@code true}. The same
     * id twice in the list is a duplicate the second time. For a handler that applies several events in one
     * transaction (a group commit): the statement is prepared once for the whole list, and on PostgreSQL the rows go
     * in one JDBC batch (one round trip). Nothing is written if the connection is in auto-commit mode or the consumer
     * name is invalid; a database error leaves the rows written so far in the transaction, to be rolled back by the
     * caller like any other failure of the handler.
     */
    public boolean[] markProcessedAll(Connection connection, String consumer, List<UUID> eventIds) {
        checkConsumer(consumer);
        boolean[] applied = new boolean[eventIds.size()];
        if (eventIds.isEmpty()) {
            return applied;
        }
        UUID current = eventIds.getFirst();
        try {
            checkInTransaction(connection, current);
            OutboxSql s = sql(connection);
            long now = System.currentTimeMillis();
            try (PreparedStatement ps = connection.prepareStatement(s.inboxInsert)) {
                if (s.dialect == OutboxDialect.POSTGRESQL && distinct(eventIds)) {
                    // ON CONFLICT DO NOTHING reports each row's count (1 inserted, 0 duplicate) also in a batch, and a
                    // duplicate does not abort the batch. A repeated id would count 1 twice here (the batch sees
                    // neither row yet), so such lists take the statement-by-statement path below.
                    for (UUID id : eventIds) {
                        ps.setString(1, consumer);
                        ps.setString(2, id.toString());
                        ps.setLong(3, now);
                        ps.addBatch();
                    }
                    int[] counts = ps.executeBatch();
                    for (int i = 0; i < counts.length; i++) {
                        applied[i] = counts[i] == 1;
                    }
                    return applied;
                }
                for (int i = 0; i < applied.length; i++) {
                    current = eventIds.get(i);
                    applied[i] = insert(ps, s, consumer, current, now);
                }
            }
            return applied;
        } catch (SQLException e) {
            throw databaseError(consumer, current, e);
        }
    }

    private static boolean distinct(List<UUID> ids) {
        return ids.size() == 1 || new HashSet<>(ids).size() == ids.size();
    }

    /** One inbox insert on a prepared {@code inboxInsert}: true if the row is new, false for a duplicate. */
    private static boolean insert(PreparedStatement ps, OutboxSql s, String consumer, UUID eventId, long now)
            throws SQLException {
        ps.setString(1, consumer);
        ps.setString(2, eventId.toString());
        ps.setLong(3, now);
        try {
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState()) && s.dialect == OutboxDialect.H2) {
                return false; // inserted before, or by a concurrent transaction first
            }
            throw e;
        }
    }

    private static void checkConsumer(String consumer) {
        if (consumer.isBlank() || consumer.length() > 255) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Inbox consumer name '" + consumer
                    + "' must be 1 to 255 characters; use the processor's name, e.g. 'payments'.");
        }
    }

    private static void checkInTransaction(Connection connection, UUID eventId) throws SQLException {
        if (connection.getAutoCommit()) {
            throw new InvalidRequestException(OutboxErrors.OUTBOX_NOT_IN_TRANSACTION, "The connection is in "
                    + "auto-commit mode, so the inbox row for event " + eventId + " would not commit with the "
                    + "handler's changes; call connection.setAutoCommit(false) and commit yourself.");
        }
    }

    private RetriableException databaseError(String consumer, UUID eventId, SQLException e) {
        return new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not record event " + eventId
                + " for consumer '" + consumer + "' in inbox table '" + tables.inbox() + "': " + e.getMessage()
                + "; roll back and let the event be redelivered.", e);
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
