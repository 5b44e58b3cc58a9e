package io.tributary.processing;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.processing.internal.DedupeSql;
import io.tributary.processing.spi.DedupeStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link DedupeStore} in a database table (PostgreSQL 12+, MariaDB 10.6+ / MySQL 8+, H2 2.x) whose claim is an
 * insert in the handler's own transaction: the claim commits or rolls back together with the handler's changes, so
 * effects in that database happen exactly once. Use it through {@link JdbcHandlers#transactional}.
 *
 * <p><b>Table:</b> the same design as the outbox module's inbox ({@code tributary_inbox}, the default name here):
 * {@code consumer VARCHAR(255), event_id VARCHAR(36), processed_at BIGINT (ms since epoch), PRIMARY KEY (consumer,
 * event_id)}, indexed on {@code processed_at}. {@link #create} creates it if absent (idempotent); the processor name is
 * stored as {@code consumer}. The DDL is duplicated from the outbox (processing does not depend on it): change both
 * together.
 *
 * <p><b>Concurrency:</b> a claim of a key another open transaction inserted waits on that row's lock and then reports
 * a duplicate if it committed (PostgreSQL, MariaDB); on H2 it may fail with a lock timeout instead, which rolls the
 * attempt back for a retry. Thread-safe (stateless apart from its settings). <b>Durability:</b> that of the database.
 * <b>Retention:</b> rows stay until {@link #purgeOlderThan} deletes them; call it periodically with an age above any
 * redelivery window.
 */
public final class JdbcDedupeStore implements DedupeStore<Connection> {

    /** The default table, shared in shape (and by default in name) with the outbox module's inbox. */
    public static final String DEFAULT_TABLE = "tributary_inbox";
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,54}");

    private final DataSource dataSource;
    private final DedupeSql sql;
    private final InstantSource clock;

    private JdbcDedupeStore(DataSource dataSource, DedupeSql sql, InstantSource clock) {
        this.dataSource = dataSource;
        this.sql = sql;
        this.clock = clock;
    }

    /** Uses (creating if absent) table {@value #DEFAULT_TABLE}. */
    public static JdbcDedupeStore create(DataSource dataSource) {
        return create(dataSource, DEFAULT_TABLE, InstantSource.system());
    }

    /**
     * Uses (creating if absent) {@code table}, reading claim times from {@code clock}. The dialect is detected from
     * one connection of {@code dataSource}.
     */
    public static JdbcDedupeStore create(DataSource dataSource, String table, InstantSource clock) {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(clock, "clock");
        if (!NAME.matcher(table).matches()) {
            throw new InvalidRequestException(ErrorCode.INVALID_ARGUMENT, "Dedupe table name '" + table + "' must be "
                    + "a plain SQL identifier of 1 to 55 letters, digits or underscores, e.g. 'tributary_inbox'.");
        }
        try (Connection c = dataSource.getConnection()) {
            DedupeSql sql = new DedupeSql(DedupeSql.detect(c), table);
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                for (String ddl : sql.ddl) {
                    s.execute(ddl);
                }
            } catch (SQLException e) {
                // Two processes creating the table at once: "IF NOT EXISTS" is not atomic on PostgreSQL and H2, so
                // the loser fails; the table is there all the same.
                if (!tableExists(c, table)) {
                    throw e;
                }
            } finally {
                c.setAutoCommit(auto);
            }
            return new JdbcDedupeStore(dataSource, sql, clock);
        } catch (SQLException e) {
            throw databaseError("create dedupe table '" + table + "'", e, "check the database user may create "
                    + "tables, or create it yourself with the DDL in docs/processing.md");
        }
    }

    /** The table's name. */
    public String table() {
        return sql.table;
    }

    /** The data source the store reads and purges through. */
    public DataSource dataSource() {
        return dataSource;
    }

    /**
     * Inserts the claim in {@code connection}'s transaction (which must not be in auto-commit mode); {@code false}
     * if the row exists (committed, or inserted earlier in this transaction).
     */
    @Override
    public boolean claim(Connection connection, String processor, UUID eventId) {
        Dedupe.checkProcessor(processor);
        Objects.requireNonNull(eventId, "eventId");
        try {
            if (connection.getAutoCommit()) {
                throw new InvalidRequestException(DedupeErrors.DEDUPE_NOT_IN_TRANSACTION, "The connection is in "
                        + "auto-commit mode, so the dedupe claim of event " + eventId + " for '" + processor
                        + "' would not commit with the handler's changes; call connection.setAutoCommit(false) and "
                        + "commit yourself (JdbcHandlers.transactional does).");
            }
            if (sql.dialect == DedupeSql.Dialect.H2 && exists(connection, processor, eventId)) {
                return false; // H2 has no insert-or-ignore that waits for the other transaction's row
            }
            try (PreparedStatement ps = connection.prepareStatement(sql.insert)) {
                ps.setString(1, processor);
                ps.setString(2, eventId.toString());
                ps.setLong(3, clock.millis());
                return ps.executeUpdate() == 1;
            } catch (SQLException e) {
                if (sql.dialect == DedupeSql.Dialect.H2 && "23505".equals(e.getSQLState())) {
                    return false; // a concurrent transaction committed the same claim first
                }
                throw e;
            }
        } catch (SQLException e) {
            throw databaseError("claim event " + eventId + " for '" + processor + "' in table '" + sql.table + "'",
                    e, "roll the transaction back and let the event be redelivered");
        }
    }

    @Override
    public boolean isHandled(String processor, UUID eventId) {
        try (Connection c = dataSource.getConnection()) {
            return exists(c, processor, eventId);
        } catch (SQLException e) {
            throw databaseError("read the claim of event " + eventId + " for '" + processor + "'", e, "retry");
        }
    }

    @Override
    public long purgeOlderThan(Duration age) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(true);
            try (PreparedStatement ps = c.prepareStatement(sql.purge)) {
                ps.setLong(1, clock.millis() - age.toMillis());
                return ps.executeUpdate();
            }
        } catch (SQLException e) {
            throw databaseError("purge claims older than " + age + " from '" + sql.table + "'", e, "retry later");
        }
    }

    private static boolean tableExists(Connection c, String table) {
        try (Statement s = c.createStatement()) {
            s.executeQuery("SELECT 1 FROM " + table + " WHERE 1 = 0").close();
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private boolean exists(Connection c, String processor, UUID eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.exists)) {
            ps.setString(1, processor);
            ps.setString(2, eventId.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static RetriableException databaseError(String what, SQLException e, String fix) {
        return new RetriableException(DedupeErrors.DEDUPE_DATABASE_ERROR, "Could not " + what + ": "
                + e.getMessage() + " (SQLState " + e.getSQLState() + "); " + fix + ".", e);
    }
}
