package io.tributary.projection;

import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * How readers, in any process, find the live tables of a projection: one query of the versions table on the
 * reader's own connection. The switch of a rebuild is one transaction on that table, and a retired version's tables
 * stay until {@link Projection#dropRetiredVersions()}, so a reader that resolves the name and then queries it always
 * reads a complete version: the old one or the new one, never an empty or half-built table. Stateless and
 * thread-safe.
 */
public final class ReadModels {

    /** The default catalog prefix ({@link ProjectionConfig#catalogPrefix()}). */
    public static final String DEFAULT_PREFIX = "tributary_projection";

    private ReadModels() {
    }

    /** The live tables of {@code projection}, with the default catalog prefix. */
    public static VersionTables live(Connection connection, String projection) {
        return live(connection, DEFAULT_PREFIX, projection);
    }

    /**
     * The live tables of {@code projection}.
     *
     * @throws NotFoundException {@link ProjectionErrors#PROJECTION_NOT_FOUND} if it has no live version
     */
    public static VersionTables live(Connection connection, String catalogPrefix, String projection) {
        String sql = "SELECT version_no, table_names FROM " + catalogPrefix + "_versions WHERE projection_name = ?"
                + " AND status = 'LIVE'";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setString(1, projection);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new NotFoundException(ProjectionErrors.PROJECTION_NOT_FOUND, "Projection '" + projection
                            + "' has no live version in " + catalogPrefix + "_versions; start it once with "
                            + "Projection.start(...) (or check the catalog prefix).");
                }
                Set<String> tables = Arrays.stream(rs.getString(2).split(",")).filter(s -> !s.isEmpty())
                        .collect(Collectors.toSet());
                return new VersionTables(projection, rs.getInt(1), tables);
            }
        } catch (SQLException e) {
            throw new RetriableException(ProjectionErrors.PROJECTION_DATABASE_ERROR, "Could not read the live version "
                    + "of projection '" + projection + "' from " + catalogPrefix + "_versions: " + e.getMessage()
                    + ". Check the connection and that the projection was started against this database.", e);
        }
    }

    /** Shortcut for {@code live(connection, projection).name(logical)}. */
    public static String liveTable(Connection connection, String projection, String logical) {
        return live(connection, projection).name(logical);
    }
}
