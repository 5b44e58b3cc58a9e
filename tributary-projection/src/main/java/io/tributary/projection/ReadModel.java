package io.tributary.projection;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The tables a projection writes and how to create them. The DDL runs once per version (the first version at the
 * first start, each rebuild's version when the rebuild begins), with the physical names of that version:
 *
 * <pre>{@code
 * ReadModel.of(List.of("order_totals"), (c, t) -> {
 *     try (Statement s = c.createStatement()) {
 *         s.execute("CREATE TABLE " + t.name("order_totals") + " (order_id VARCHAR(64) PRIMARY KEY, total BIGINT)");
 *     }
 * });
 * }</pre>
 * Immutable; the DDL callback must be thread-safe if the read model is shared.
 *
 * @param tables logical table names: lower case letters, digits and {@code _}, starting with a letter, at most 50
 *               characters (the version suffix is appended)
 * @param ddl    creates the tables of one version on the given connection
 */
public record ReadModel(List<String> tables, Ddl ddl) {

    private static final Pattern TABLE = Pattern.compile("[a-z][a-z0-9_]{0,49}");

    /** Creates the tables of one version. Runs in its own transaction, committed by the runtime. */
    @FunctionalInterface
    public interface Ddl {
        void create(Connection connection, VersionTables tables) throws SQLException;
    }

    public ReadModel {
        tables = List.copyOf(tables);
        Objects.requireNonNull(ddl, "ddl");
        List<String> problems = new ArrayList<>();
        if (tables.isEmpty()) {
            problems.add("no tables; declare at least one logical table name, e.g. List.of(\"order_totals\")");
        }
        for (String t : tables) {
            if (!TABLE.matcher(t).matches()) {
                problems.add("table name '" + t + "' must match " + TABLE.pattern()
                        + " (lower case, starts with a letter, at most 50 characters)");
            }
        }
        if (Set.copyOf(tables).size() != tables.size()) {
            problems.add("table names " + tables + " contain duplicates");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid read model: " + String.join("; ", problems));
        }
    }

    public static ReadModel of(List<String> tables, Ddl ddl) {
        return new ReadModel(tables, ddl);
    }
}
