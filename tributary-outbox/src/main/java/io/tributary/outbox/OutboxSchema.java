package io.tributary.outbox;

import io.tributary.core.RetriableException;
import io.tributary.outbox.internal.OutboxSql;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The outbox and inbox tables. Ship them with your migration tool ({@link #ddl} prints the script for a dialect and
 * table names; the same scripts are in the jar under {@code io/tributary/outbox/ddl/}), or call {@link #create} on
 * start: it is idempotent ({@code CREATE ... IF NOT EXISTS}).
 */
public final class OutboxSchema {

    private OutboxSchema() {
    }

    /** The DDL script for a dialect, with the given table names. */
    public static String ddl(OutboxDialect dialect, OutboxTables tables) {
        try (InputStream in = OutboxSchema.class.getClassLoader().getResourceAsStream(dialect.ddlResource())) {
            if (in == null) {
                throw new IllegalStateException("DDL resource " + dialect.ddlResource() + " is missing from the jar");
            }
            return OutboxSql.renameTables(new String(in.readAllBytes(), StandardCharsets.UTF_8), tables);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Creates the tables (and, on PostgreSQL, the NOTIFY trigger) if missing. */
    public static void create(DataSource dataSource, OutboxTables tables) {
        try (Connection c = dataSource.getConnection()) {
            OutboxDialect dialect = OutboxDialect.detect(c);
            boolean auto = c.getAutoCommit();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement()) {
                for (String stmt : statements(ddl(dialect, tables))) {
                    s.execute(stmt);
                }
            } finally {
                c.setAutoCommit(auto);
            }
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not create the outbox tables ("
                    + tables + "): " + e.getMessage() + "; check that the user may create tables, or apply "
                    + "OutboxSchema.ddl(...) with your migration tool.", e);
        }
    }

    /** Splits a script into statements: on ';' at line ends, keeping PostgreSQL's $$-quoted function bodies whole. */
    static List<String> statements(String script) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean inDollar = false;
        for (String line : script.split("\n")) {
            String trimmed = line.strip();
            if (!inDollar && (trimmed.startsWith("--") || trimmed.isEmpty())) {
                continue;
            }
            current.append(line).append('\n');
            int dollars = countOccurrences(line, "$$");
            if (dollars % 2 == 1) {
                inDollar = !inDollar;
            }
            if (!inDollar && trimmed.endsWith(";")) {
                String stmt = current.toString().strip();
                out.add(stmt.substring(0, stmt.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    private static int countOccurrences(String s, String sub) {
        int n = 0;
        for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) {
            n++;
        }
        return n;
    }
}
