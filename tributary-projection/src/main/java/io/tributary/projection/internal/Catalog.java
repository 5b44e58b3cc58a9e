package io.tributary.projection.internal;

import io.tributary.core.ConflictException;
import io.tributary.core.RetriableException;
import io.tributary.projection.ProjectionErrors;
import io.tributary.projection.ReadModel;
import io.tributary.projection.VersionTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.sql.DataSource;

/**
 * The two catalog tables of a projection database, in portable SQL (PostgreSQL, H2, MariaDB).
 *
 * <pre>
 * &lt;prefix&gt;_versions    (projection_name, version_no) primary key
 *     status       CREATING: row written, tables being created (a crash leaves it; the tables are recreated)
 *                  BUILDING: tables exist, a rebuild fills them
 *                  LIVE:     the version readers use; exactly one per projection
 *                  RETIRED:  was live; its tables stay until dropped
 *     table_names  the logical tables, comma-separated (physical = name + "_v" + version)
 * &lt;prefix&gt;_checkpoints (projection_name, version_no, source_partition) primary key
 *     next_position    log: next offset to read; event store: last $all position considered
 *     event_count      events this version applied from this partition, cumulative
 *     last_event_time  timestamp (ms) of the last applied event
 * </pre>
 * Checkpoint rows are written in the same transaction as the handler's rows; that is the whole exactly-once argument.
 * Thread-safe (stateless apart from the data source).
 */
public final class Catalog {

    public static final String CREATING = "CREATING";
    public static final String BUILDING = "BUILDING";
    public static final String LIVE = "LIVE";
    public static final String RETIRED = "RETIRED";

    /** One row of the versions table. */
    public record VersionRow(int version, String status, List<String> tables) {
        public VersionRow {
            tables = List.copyOf(tables);
        }
    }

    /** One stored checkpoint. */
    public record Checkpoint(long position, long events, long lastEventTime) {
    }

    private final DataSource dataSource;
    private final String projection;
    private final String versions;
    private final String checkpoints;

    public Catalog(DataSource dataSource, String prefix, String projection) {
        this.dataSource = dataSource;
        this.projection = projection;
        this.versions = versionsTable(prefix);
        this.checkpoints = prefix + "_checkpoints";
    }

    public static String versionsTable(String prefix) {
        return prefix + "_versions";
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public String projection() {
        return projection;
    }

    /** Creates the catalog tables if missing. */
    public void createTables() {
        run("create the catalog tables " + versions + " and " + checkpoints, c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS " + versions + " (projection_name VARCHAR(200) NOT NULL, "
                        + "version_no INT NOT NULL, status VARCHAR(16) NOT NULL, table_names VARCHAR(2000) NOT NULL, "
                        + "created_at BIGINT NOT NULL, switched_at BIGINT, PRIMARY KEY (projection_name, version_no))");
                s.execute("CREATE TABLE IF NOT EXISTS " + checkpoints + " (projection_name VARCHAR(200) NOT NULL, "
                        + "version_no INT NOT NULL, source_partition VARCHAR(300) NOT NULL, next_position BIGINT NOT NULL, "
                        + "event_count BIGINT NOT NULL, last_event_time BIGINT NOT NULL, updated_at BIGINT NOT NULL, "
                        + "PRIMARY KEY (projection_name, version_no, source_partition))");
            }
            return null;
        });
    }

    public List<VersionRow> versions() {
        return run("read the versions of projection '" + projection + "'", c -> {
            List<VersionRow> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT version_no, status, table_names FROM " + versions
                    + " WHERE projection_name = ? ORDER BY version_no")) {
                ps.setString(1, projection);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.add(new VersionRow(rs.getInt(1), rs.getString(2), splitTables(rs.getString(3))));
                    }
                }
            }
            return out;
        });
    }

    public Optional<VersionRow> withStatus(String status) {
        return versions().stream().filter(v -> v.status().equals(status)).reduce((a, b) -> b);
    }

    static List<String> splitTables(String joined) {
        return Arrays.stream(joined.split(",")).filter(s -> !s.isEmpty()).toList();
    }

    /**
     * Makes the tables of a new version: a CREATING row first (committed), then the DDL, then {@code finalStatus}.
     * A crash in between leaves a CREATING row whose tables {@link #recreate} drops and creates again.
     */
    public void create(int version, List<String> tables, ReadModel.Ddl ddl, String finalStatus) {
        run("register version " + version + " of projection '" + projection + "'", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + versions + " (projection_name, version_no, "
                    + "status, table_names, created_at) VALUES (?, ?, ?, ?, ?)")) {
                ps.setString(1, projection);
                ps.setInt(2, version);
                ps.setString(3, CREATING);
                ps.setString(4, String.join(",", tables));
                ps.setLong(5, System.currentTimeMillis());
                ps.executeUpdate();
            }
            return null;
        });
        recreate(version, tables, ddl, finalStatus);
    }

    /** Drops whatever tables of {@code version} exist, runs the DDL, and sets the row to {@code finalStatus}. */
    public void recreate(int version, List<String> tables, ReadModel.Ddl ddl, String finalStatus) {
        dropTables(version, tables);
        run("create the tables of version " + version + " of projection '" + projection + "'", c -> {
            ddl.create(c, new VersionTables(projection, version, Set.copyOf(tables)));
            return null;
        });
        run("mark version " + version + " of projection '" + projection + "' " + finalStatus, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + versions + " SET status = ?, table_names = ?"
                    + " WHERE projection_name = ? AND version_no = ?")) {
                ps.setString(1, finalStatus);
                ps.setString(2, String.join(",", tables));
                ps.setString(3, projection);
                ps.setInt(4, version);
                ps.executeUpdate();
            }
            return null;
        });
    }

    /**
     * The switch: in ONE transaction the live version becomes RETIRED and {@code building} becomes LIVE, so every
     * reader that resolves the live version sees either the old one or the new one, never neither.
     */
    public void switchLive(int building, int live) {
        run("switch projection '" + projection + "' from version " + live + " to " + building, c -> {
            long now = System.currentTimeMillis();
            int retired;
            int promoted;
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + versions + " SET status = ?, switched_at = ?"
                    + " WHERE projection_name = ? AND version_no = ? AND status = ?")) {
                ps.setString(1, RETIRED);
                ps.setLong(2, now);
                ps.setString(3, projection);
                ps.setInt(4, live);
                ps.setString(5, LIVE);
                retired = ps.executeUpdate();
                ps.setString(1, LIVE);
                ps.setLong(2, now);
                ps.setString(3, projection);
                ps.setInt(4, building);
                ps.setString(5, BUILDING);
                promoted = ps.executeUpdate();
            }
            if (retired != 1 || promoted != 1) {
                throw new ConflictException(ProjectionErrors.PROJECTION_SWITCH_CONFLICT, "Projection '" + projection
                        + "' could not switch from version " + live + " to " + building + ": expected version " + live
                        + " LIVE and " + building + " BUILDING, but " + retired + " and " + promoted
                        + " rows matched. Another instance changed the versions; run one instance per projection.");
            }
            return null;
        });
    }

    /** Removes a version's rows (catalog and checkpoints) and drops its tables. */
    public void deleteVersion(int version, List<String> tables) {
        dropTables(version, tables);
        run("delete version " + version + " of projection '" + projection + "'", c -> {
            for (String t : List.of(checkpoints, versions)) {
                try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + t
                        + " WHERE projection_name = ? AND version_no = ?")) {
                    ps.setString(1, projection);
                    ps.setInt(2, version);
                    ps.executeUpdate();
                }
            }
            return null;
        });
    }

    private void dropTables(int version, List<String> tables) {
        run("drop the tables of version " + version + " of projection '" + projection + "'", c -> {
            try (Statement s = c.createStatement()) {
                for (String t : tables) {
                    s.execute("DROP TABLE IF EXISTS " + VersionTables.physicalName(t, version));
                }
            }
            return null;
        });
    }

    public Map<String, Checkpoint> checkpoints(int version) {
        return run("read the checkpoints of version " + version + " of projection '" + projection + "'", c -> {
            Map<String, Checkpoint> out = new HashMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT source_partition, next_position, event_count, "
                    + "last_event_time FROM " + checkpoints + " WHERE projection_name = ? AND version_no = ?")) {
                ps.setString(1, projection);
                ps.setInt(2, version);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        out.put(rs.getString(1), new Checkpoint(rs.getLong(2), rs.getLong(3), rs.getLong(4)));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Writes checkpoints inside the caller's transaction (the one holding the handler's rows), as a compare-and-set:
     * each partition's row moves only from the position this worker last committed ({@code expected}; absent = no row
     * yet). When another transaction moved it first (an earlier attempt of the same batch whose commit went through
     * although its client saw an error), this throws {@link CheckpointMoved} and the caller must roll back: the
     * batch is already applied. The row lock the UPDATE takes makes the check exact on PostgreSQL, MariaDB and H2.
     */
    public void writeCheckpoints(Connection c, int version, Map<String, Long> positions, Map<String, Long> expected,
                                 Map<String, Long> added, Map<String, Long> lastEventTimes) throws SQLException {
        long now = System.currentTimeMillis();
        try (PreparedStatement update = c.prepareStatement("UPDATE " + checkpoints + " SET next_position = ?, "
                + "event_count = event_count + ?, last_event_time = ?, updated_at = ? WHERE projection_name = ? "
                + "AND version_no = ? AND source_partition = ? AND next_position = ?");
             PreparedStatement insert = c.prepareStatement("INSERT INTO " + checkpoints + " (projection_name, "
                     + "version_no, source_partition, next_position, event_count, last_event_time, updated_at) "
                     + "VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            for (Map.Entry<String, Long> e : positions.entrySet()) {
                long count = added.getOrDefault(e.getKey(), 0L);
                long time = lastEventTimes.getOrDefault(e.getKey(), 0L);
                Long from = expected.get(e.getKey());
                if (from != null) {
                    update.setLong(1, e.getValue());
                    update.setLong(2, count);
                    update.setLong(3, time);
                    update.setLong(4, now);
                    update.setString(5, projection);
                    update.setInt(6, version);
                    update.setString(7, e.getKey());
                    update.setLong(8, from);
                    if (update.executeUpdate() == 0) {
                        throw new CheckpointMoved(e.getKey(), from);
                    }
                } else {
                    insert.setString(1, projection);
                    insert.setInt(2, version);
                    insert.setString(3, e.getKey());
                    insert.setLong(4, e.getValue());
                    insert.setLong(5, count);
                    insert.setLong(6, time);
                    insert.setLong(7, now);
                    try {
                        insert.executeUpdate();
                    } catch (SQLException duplicate) {
                        // 23xxx: integrity constraint violation, here the primary key: the row exists already.
                        if (duplicate.getSQLState() != null && duplicate.getSQLState().startsWith("23")) {
                            throw new CheckpointMoved(e.getKey(), -1);
                        }
                        throw duplicate;
                    }
                }
            }
        }
    }

    /** A checkpoint row was not where this worker left it: its batch was committed by an earlier attempt. */
    public static final class CheckpointMoved extends SQLException {
        private static final long serialVersionUID = 1L;

        CheckpointMoved(String partition, long expected) {
            super("checkpoint of partition '" + partition + "' is no longer at " + (expected < 0 ? "its start"
                    : "position " + expected) + ": an earlier attempt of this batch committed");
        }
    }

    /** A unit of work on one connection, committed on success. */
    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T run(String what, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                T result = work.run(c);
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        } catch (SQLException e) {
            throw new RetriableException(ProjectionErrors.PROJECTION_DATABASE_ERROR, "Could not " + what + ": "
                    + e.getMessage() + ". Check that the database is reachable and the user may create and write "
                    + "tables, then retry.", e);
        }
    }
}
