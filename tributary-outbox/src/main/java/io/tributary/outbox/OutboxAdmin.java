package io.tributary.outbox;

import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.sql.DataSource;

/**
 * Operator actions on an outbox: counts, listing failed rows, and retrying or skipping them, by row or by key.
 * Each call runs in its own transaction. Thread-safe (stateless).
 */
public final class OutboxAdmin {

    private OutboxAdmin() {
    }

    public static OutboxStats stats(DataSource ds, OutboxTables tables) {
        return run(ds, tables, "read outbox counts", (c, s) -> {
            long[] counts = new long[4];
            try (PreparedStatement ps = c.prepareStatement(s.countByStatus); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    int status = rs.getInt(1);
                    if (status >= 0 && status < 4) {
                        counts[status] = rs.getLong(2);
                    }
                }
            }
            Optional<Long> oldest = Optional.empty();
            try (PreparedStatement ps = c.prepareStatement(s.oldestPending); ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    long v = rs.getLong(1);
                    oldest = rs.wasNull() ? Optional.empty() : Optional.of(v);
                }
            }
            long blocked = 0;
            try (PreparedStatement ps = c.prepareStatement(s.blockedKeys); ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    blocked++;
                }
            }
            return new OutboxStats(counts[OutboxSql.PENDING], counts[OutboxSql.PUBLISHED], counts[OutboxSql.FAILED],
                    counts[OutboxSql.SKIPPED], blocked, oldest);
        });
    }

    /** Rows in a status, oldest first, at most {@code limit}. */
    public static List<OutboxRow> list(DataSource ds, OutboxTables tables, OutboxRow.Status status, int limit) {
        return run(ds, tables, "list outbox rows", (c, s) -> {
            List<OutboxRow> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement(s.listByStatus)) {
                ps.setInt(1, status.ordinal());
                ps.setInt(2, limit);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new OutboxRow(rs.getLong(1), UUID.fromString(rs.getString(2)), rs.getString(3),
                                rs.getBytes(4), rs.getLong(5), rs.getString(6), OutboxRow.Status.of(rs.getInt(11)),
                                rs.getInt(10), Optional.ofNullable(rs.getString(12)), rs.getLong(9)));
                    }
                }
            }
            return out;
        });
    }

    /** Makes a failed row pending again with a fresh attempt count. */
    public static void retry(DataSource ds, OutboxTables tables, long rowId) {
        int n = update(ds, tables, "retry row " + rowId, s -> s.retryById, System.currentTimeMillis(), rowId);
        requireOne(n, tables, rowId, "failed");
    }

    /** Makes every failed row of a key pending again; returns how many. */
    public static int retryKey(DataSource ds, OutboxTables tables, byte[] key) {
        return update(ds, tables, "retry key", s -> s.retryByKey, System.currentTimeMillis(), key);
    }

    /** Marks a pending or failed row skipped: it will not be published, and its key is unblocked. */
    public static void skip(DataSource ds, OutboxTables tables, long rowId) {
        int n = update(ds, tables, "skip row " + rowId, s -> s.skipById, System.currentTimeMillis(), rowId);
        requireOne(n, tables, rowId, "pending or failed");
    }

    /** Skips every failed row of a key; returns how many. */
    public static int skipKey(DataSource ds, OutboxTables tables, byte[] key) {
        return update(ds, tables, "skip key", s -> s.skipByKey, System.currentTimeMillis(), key);
    }

    private static void requireOne(int n, OutboxTables tables, long rowId, String state) {
        if (n == 0) {
            throw new NotFoundException(OutboxErrors.OUTBOX_ROW_NOT_FOUND, "Outbox table '" + tables.outbox()
                    + "' has no " + state + " row with id " + rowId + "; list rows with OutboxAdmin.list(...) "
                    + "(or 'tributary outbox failed').");
        }
    }

    private static int update(DataSource ds, OutboxTables tables, String what,
                              java.util.function.Function<OutboxSql, String> sql, long now, Object target) {
        return run(ds, tables, what, (c, s) -> {
            try (PreparedStatement ps = c.prepareStatement(sql.apply(s))) {
                ps.setLong(1, now);
                if (target instanceof byte[] key) {
                    ps.setBytes(2, key);
                } else {
                    ps.setLong(2, (Long) target);
                }
                return ps.executeUpdate();
            }
        });
    }

    private interface SqlWork<T> {
        T run(Connection c, OutboxSql s) throws SQLException;
    }

    private static <T> T run(DataSource ds, OutboxTables tables, String what, SqlWork<T> work) {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(true);
            return work.run(c, new OutboxSql(OutboxDialect.detect(c), tables));
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not " + what + " in outbox table '"
                    + tables.outbox() + "': " + e.getMessage() + "; check the database connection and that the table "
                    + "exists (OutboxSchema.create).", e);
        }
    }
}
