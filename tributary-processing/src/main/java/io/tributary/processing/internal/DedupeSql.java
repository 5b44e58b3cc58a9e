package io.tributary.processing.internal;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.processing.DedupeErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Locale;

/**
 * The SQL of the JDBC dedupe store for one database and table name. Immutable.
 *
 * <p>The table has exactly the shape of the outbox module's inbox table ({@code tributary_inbox} in
 * {@code tributary-outbox/src/main/resources/io/tributary/outbox/ddl/*.sql}): {@code (consumer VARCHAR(255), event_id
 * VARCHAR(36), processed_at BIGINT, PRIMARY KEY (consumer, event_id))} plus an index on {@code processed_at}. The
 * processing module does not depend on the outbox, so the DDL is duplicated here; change both together. Because the
 * shapes match, a processor and an outbox {@code Inbox} may share one table (the processor name is the consumer).
 */
public final class DedupeSql {

    /** The databases supported, detected from the connection's product name. */
    public enum Dialect { POSTGRESQL, MARIADB, H2 }

    public final Dialect dialect;
    public final String table;
    public final List<String> ddl;
    public final String insert;
    public final String exists;
    public final String purge;

    public DedupeSql(Dialect dialect, String table) {
        this.dialect = dialect;
        this.table = table;
        String create = "CREATE TABLE IF NOT EXISTS " + table + " (consumer VARCHAR(255) NOT NULL, event_id VARCHAR(36) "
                + "NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (consumer, event_id)";
        this.ddl = switch (dialect) {
            case POSTGRESQL, H2 -> List.of(create + ")", "CREATE INDEX IF NOT EXISTS " + table + "_processed ON "
                    + table + " (processed_at)");
            case MARIADB -> List.of(create + ", INDEX " + table + "_processed (processed_at)) ENGINE=InnoDB");
        };
        this.insert = switch (dialect) {
            case POSTGRESQL -> "INSERT INTO " + table + " (consumer, event_id, processed_at) VALUES (?, ?, ?) "
                    + "ON CONFLICT DO NOTHING";
            case MARIADB -> "INSERT IGNORE INTO " + table + " (consumer, event_id, processed_at) VALUES (?, ?, ?)";
            case H2 -> "INSERT INTO " + table + " (consumer, event_id, processed_at) VALUES (?, ?, ?)";
        };
        this.exists = "SELECT 1 FROM " + table + " WHERE consumer = ? AND event_id = ?";
        this.purge = "DELETE FROM " + table + " WHERE processed_at < ?";
    }

    /** Detects the dialect from the connection's metadata; MySQL counts as MariaDB. */
    public static Dialect detect(Connection connection) {
        String product;
        try {
            product = connection.getMetaData().getDatabaseProductName();
        } catch (SQLException e) {
            throw new RetriableException(DedupeErrors.DEDUPE_DATABASE_ERROR, "Could not read the database product "
                    + "name to pick the dedupe store's SQL dialect: " + e.getMessage() + "; check the connection.", e);
        }
        String p = product.toLowerCase(Locale.ROOT);
        if (p.contains("postgres")) {
            return Dialect.POSTGRESQL;
        }
        if (p.contains("mariadb") || p.contains("mysql")) {
            return Dialect.MARIADB;
        }
        if (p.equals("h2")) {
            return Dialect.H2;
        }
        throw new InvalidRequestException(DedupeErrors.DEDUPE_UNSUPPORTED_DATABASE, "The JDBC dedupe store does not "
                + "support '" + product + "'; use PostgreSQL 12+, MariaDB 10.6+ / MySQL 8+, or H2 2.x.");
    }
}
