package io.tributary.eventstore;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Settings of the PostgreSQL backend. Immutable; all problems are reported at once.
 *
 * @param jdbcUrl          e.g. {@code jdbc:postgresql://127.0.0.1:5432/app}; ignored when a DataSource is given
 * @param user             database user; default {@code postgres}
 * @param password         password; default empty (trust or .pgpass)
 * @param schema           schema holding the tables; default {@code tributary_es}; lower-case letters, digits, _
 * @param maxPoolSize      HikariCP pool size; default 10
 * @param positionStrategy how global positions are assigned; default {@link PositionStrategy#TRANSACTION_ID}
 * @param createSchema     create tables and the append functions on open (idempotent); default true. When false,
 *                         run {@code postgres-schema.sql} (shipped in the jar) yourself, again after upgrading
 *                         Tributary: open then fails with INVALID_CONFIG naming any table or function it lacks.
 */
public record PostgresEventStoreConfig(String jdbcUrl, String user, String password, String schema, int maxPoolSize,
                                       PositionStrategy positionStrategy, boolean createSchema) {

    private static final Pattern SCHEMA = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public PostgresEventStoreConfig {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(positionStrategy, "positionStrategy");
        List<String> problems = new ArrayList<>();
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            problems.add("jdbcUrl='" + jdbcUrl + "' is not a PostgreSQL URL; use e.g. jdbc:postgresql://127.0.0.1:5432/app");
        }
        if (!SCHEMA.matcher(schema).matches()) {
            problems.add("schema='" + schema + "' must be lower-case letters, digits and '_' (max 63), e.g. tributary_es");
        }
        if (maxPoolSize < 1) {
            problems.add("maxPoolSize=" + maxPoolSize + " must be at least 1 (default 10)");
        }
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "Invalid PostgreSQL event store config: " + String.join("; ", problems));
        }
    }

    /** Defaults for a database at {@code jdbcUrl}. */
    public static PostgresEventStoreConfig of(String jdbcUrl) {
        return new PostgresEventStoreConfig(jdbcUrl, "postgres", "", "tributary_es", 10, PositionStrategy.TRANSACTION_ID, true);
    }

    public PostgresEventStoreConfig withUser(String v) {
        return new PostgresEventStoreConfig(jdbcUrl, v, password, schema, maxPoolSize, positionStrategy, createSchema);
    }

    public PostgresEventStoreConfig withPassword(String v) {
        return new PostgresEventStoreConfig(jdbcUrl, user, v, schema, maxPoolSize, positionStrategy, createSchema);
    }

    public PostgresEventStoreConfig withSchema(String v) {
        return new PostgresEventStoreConfig(jdbcUrl, user, password, v, maxPoolSize, positionStrategy, createSchema);
    }

    public PostgresEventStoreConfig withMaxPoolSize(int v) {
        return new PostgresEventStoreConfig(jdbcUrl, user, password, schema, v, positionStrategy, createSchema);
    }

    public PostgresEventStoreConfig withPositionStrategy(PositionStrategy v) {
        return new PostgresEventStoreConfig(jdbcUrl, user, password, schema, maxPoolSize, v, createSchema);
    }

    public PostgresEventStoreConfig withCreateSchema(boolean v) {
        return new PostgresEventStoreConfig(jdbcUrl, user, password, schema, maxPoolSize, positionStrategy, v);
    }
}
