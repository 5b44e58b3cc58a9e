package io.tributary.outbox;

import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/** The databases the outbox and inbox run on. Each ships its DDL as {@code io/tributary/outbox/ddl/<name>.sql}. */
public enum OutboxDialect {
    POSTGRESQL("postgresql"),
    MARIADB("mariadb"),
    H2("h2");

    private final String resourceName;

    OutboxDialect(String resourceName) {
        this.resourceName = resourceName;
    }

    /** The DDL resource path, e.g. {@code io/tributary/outbox/ddl/postgresql.sql}. */
    public String ddlResource() {
        return "io/tributary/outbox/ddl/" + resourceName + ".sql";
    }

    /** Detects the dialect from the connection's metadata. MySQL counts as {@link #MARIADB}. */
    public static OutboxDialect detect(Connection connection) {
        String product;
        try {
            product = connection.getMetaData().getDatabaseProductName();
        } catch (SQLException e) {
            throw new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR,
                    "Could not read the database product name to pick the outbox dialect: " + e.getMessage()
                            + "; check the connection, or pass the dialect explicitly.", e);
        }
        String p = product.toLowerCase(Locale.ROOT);
        if (p.contains("postgres")) {
            return POSTGRESQL;
        }
        if (p.contains("mariadb") || p.contains("mysql")) {
            return MARIADB;
        }
        if (p.equals("h2")) {
            return H2;
        }
        throw new InvalidRequestException(OutboxErrors.OUTBOX_UNSUPPORTED_DATABASE, "The outbox does not support '"
                + product + "'; use PostgreSQL 12+, MariaDB 10.6+ / MySQL 8+, or H2 2.x.");
    }
}
