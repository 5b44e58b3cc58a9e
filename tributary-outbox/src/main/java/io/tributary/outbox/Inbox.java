package io.tributary.outbox;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.outbox.internal.JdbcFailure;
import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
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
                return insert(ps, s, consumer, eventId.toString(), System.currentTimeMillis());
            }
        } catch (SQLException e) {
            throw databaseError(consumer, "event " + eventId, e);
        }
    }

    /**
     * Records, in the connection's transaction, that {@code consumer} applies each of {@code eventIds}; returns one
     * flag per id in list order, {@code true} where {@link #markProcessed} would have returned {@code true}. The same
     * id twice in the list is a duplicate the second time. For a handler that applies several events in one
     * transaction (a group commit). On PostgreSQL it is one statement whatever the list's length (the ids go as one
     * array; the rows it inserted come back), on H2 one insert of up to 64 ids (a piece holding an id already there
     * goes again one id at a time), on MariaDB one insert per distinct id on one prepared statement.
     * <b>Ordering:</b> rows are written, and their keys locked, in sorted id order, not list order, so two concurrent
     * transactions with overlapping ids wait for each other instead of deadlocking; the flags are in list order.
     * Nothing is written if the connection is in auto-commit mode or the consumer name is invalid; a database error
     * leaves the rows written so far in the transaction, to be rolled back by the caller like any other failure of
     * the handler. A driver that answers an insert with neither 0 nor 1 rows fails the call rather than guess.
     */
    public boolean[] markProcessedAll(Connection connection, String consumer, List<UUID> eventIds) {
        checkConsumer(consumer);
        boolean[] applied = new boolean[eventIds.size()];
        if (eventIds.isEmpty()) {
            return applied;
        }
        List<String> sorted = eventIds.stream().map(UUID::toString).distinct().sorted().toList();
        // What a database error names: the one event being inserted, or the whole list for the single statement.
        String failing = "event " + sorted.getFirst();
        Set<String> inserted = new HashSet<>();
        try {
            checkInTransaction(connection, eventIds.getFirst());
            OutboxSql s = sql(connection);
            long now = System.currentTimeMillis();
            if (s.dialect == OutboxDialect.POSTGRESQL) {
                // One statement that returns what it inserted, instead of a JDBC batch whose update counts say which
                // rows were new: pgjdbc with reWriteBatchedInserts=true answers SUCCESS_NO_INFO for them, and reading
                // that as "duplicate" made handlers skip new events.
                if (sorted.size() > 1) {
                    failing = "one of " + sorted.size() + " events (" + sorted.getFirst() + " to " + sorted.getLast() + ")";
                }
                try (PreparedStatement ps = connection.prepareStatement(s.inboxInsertArray)) {
                    ps.setString(1, consumer);
                    ps.setLong(2, now);
                    ps.setArray(3, connection.createArrayOf("varchar", sorted.toArray()));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            inserted.add(rs.getString(1));
                        }
                    }
                }
            } else if (s.dialect == OutboxDialect.H2) {
                // Multi-row inserts of up to 64 ids: one statement instead of one per id, since each H2 statement has
                // a cost of its own (snapshot, savepoint). A duplicate fails the whole statement, which H2 undoes
                // whole; that piece's ids then go one at a time, where a duplicate is told apart by its rejection.
                for (int from = 0; from < sorted.size(); ) {
                    int n = OutboxSql.h2Piece(sorted.size() - from);
                    List<String> piece = sorted.subList(from, from + n);
                    failing = n == 1 ? "event " + piece.getFirst()
                            : "one of " + n + " events (" + piece.getFirst() + " to " + piece.getLast() + ")";
                    if (n > 1 && insertAllNew(connection, s, consumer, piece, now)) {
                        inserted.addAll(piece);
                    } else {
                        try (PreparedStatement ps = connection.prepareStatement(s.inboxInsert)) {
                            for (String id : piece) {
                                failing = "event " + id;
                                if (insert(ps, s, consumer, id, now)) {
                                    inserted.add(id);
                                }
                            }
                        }
                    }
                    from += n;
                }
            } else {
                try (PreparedStatement ps = connection.prepareStatement(s.inboxInsert)) {
                    for (String id : sorted) {
                        failing = "event " + id;
                        if (insert(ps, s, consumer, id, now)) {
                            inserted.add(id);
                        }
                    }
                }
            }
        } catch (SQLException e) {
            throw databaseError(consumer, failing, e);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < applied.length; i++) {
            String id = eventIds.get(i).toString();
            applied[i] = seen.add(id) && inserted.contains(id);
        }
        return applied;
    }

    /**
     * H2: inserts every id of {@code ids} in one statement; true if it did, false if one of them was there already (the
     * statement then wrote nothing: H2 undoes a failed statement whole, and the transaction goes on).
     */
    private static boolean insertAllNew(Connection connection, OutboxSql s, String consumer, List<String> ids, long now)
            throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(s.h2InboxInsert(ids.size()))) {
            int p = 1;
            for (String id : ids) {
                ps.setString(p++, consumer);
                ps.setString(p++, id);
                ps.setLong(p++, now);
            }
            int count = ps.executeUpdate();
            if (count != ids.size()) {
                throw new SQLException("the database answered an insert of " + ids.size() + " inbox rows with update "
                        + "count " + count + ", which does not tell which rows were inserted", "XX000");
            }
            return true;
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                return false;
            }
            throw e;
        }
    }

    /** One inbox insert on a prepared {@code inboxInsert}: true if the row is new, false for a duplicate. */
    private static boolean insert(PreparedStatement ps, OutboxSql s, String consumer, String eventId, long now)
            throws SQLException {
        ps.setString(1, consumer);
        ps.setString(2, eventId);
        ps.setLong(3, now);
        try {
            int count = ps.executeUpdate();
            if (count != 0 && count != 1) {
                // Only 1 (inserted) and 0 (duplicate skipped) say which it was; a guess here would either apply an
                // event twice or skip it for good.
                throw new SQLException("the driver answered the inbox insert with update count " + count
                        + ", which does not tell whether the row was inserted", "XX000");
            }
            return count == 1;
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

    private RetriableException databaseError(String consumer, String events, SQLException e) {
        return new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not record " + events
                + " for consumer '" + consumer + "' in inbox table '" + tables.inbox() + "': " + JdbcFailure.reason(e)
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
