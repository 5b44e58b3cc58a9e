package io.tributary.projection;

import io.tributary.core.InvalidRequestException;
import java.util.Objects;
import java.util.Set;

/**
 * The physical tables of one version of a read model: logical name {@code order_totals} of version 3 is the table
 * {@code order_totals_v3}. Each rebuild writes a new version, so the live tables and the shadow tables being built
 * never share a name. Immutable and thread-safe.
 *
 * @param projection the projection's name
 * @param version    the read-model version, from 1
 * @param tables     the logical table names the read model declares
 */
public record VersionTables(String projection, int version, Set<String> tables) {

    public VersionTables {
        Objects.requireNonNull(projection, "projection");
        tables = Set.copyOf(tables);
        if (version < 1) {
            throw new IllegalArgumentException("version " + version + " of projection '" + projection
                    + "' must be at least 1");
        }
    }

    /**
     * The physical name of a logical table in this version.
     *
     * @throws InvalidRequestException {@link ProjectionErrors#PROJECTION_UNKNOWN_TABLE} if the read model does not
     *                                 declare it
     */
    public String name(String logical) {
        if (!tables.contains(logical)) {
            throw new InvalidRequestException(ProjectionErrors.PROJECTION_UNKNOWN_TABLE, "Projection '" + projection
                    + "' has no table '" + logical + "' (its read model declares " + tables.stream().sorted().toList()
                    + "); add it to ReadModel.of(...) or use one of those names");
        }
        return physicalName(logical, version);
    }

    /** {@code logical + "_v" + version}. */
    public static String physicalName(String logical, int version) {
        return logical + "_v" + version;
    }

}
