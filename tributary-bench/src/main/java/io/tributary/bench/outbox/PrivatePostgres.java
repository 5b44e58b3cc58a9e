package io.tributary.bench.outbox;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import io.tributary.outbox.OutboxSchema;
import io.tributary.outbox.OutboxTables;
import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import javax.sql.DataSource;

/**
 * A PostgreSQL started for the benchmark alone (zonky's embedded binaries, a temp data directory, a free port on
 * 127.0.0.1), with {@code wal_level=logical} so Debezium can read it, and {@code synchronous_commit=on} so a commit
 * means what it means in production. Never the shared server on 5432. The outbox tables are created in it.
 */
final class PrivatePostgres implements AutoCloseable {

    static final String USER = "postgres";
    static final String DATABASE = "postgres";

    private final EmbeddedPostgres postgres;
    private final HikariDataSource pool;

    private PrivatePostgres(EmbeddedPostgres postgres, HikariDataSource pool) {
        this.postgres = postgres;
        this.pool = pool;
    }

    static PrivatePostgres start() throws IOException {
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setServerConfig("wal_level", "logical")
                .setServerConfig("max_replication_slots", "4")
                .setServerConfig("max_wal_senders", "4")
                .setServerConfig("synchronous_commit", "on")
                .start();
        try {
            HikariConfig c = new HikariConfig();
            c.setJdbcUrl(jdbcUrl(pg.getPort()));
            c.setUsername(USER);
            c.setMaximumPoolSize(16);
            c.setPoolName("outbox-bench");
            c.setConnectionTimeout(30_000);
            HikariDataSource pool = new HikariDataSource(c);
            OutboxSchema.create(pool, OutboxTables.defaults());
            return new PrivatePostgres(pg, pool);
        } catch (RuntimeException e) {
            pg.close();
            throw e;
        }
    }

    static String jdbcUrl(int port) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
    }

    int port() {
        return postgres.getPort();
    }

    DataSource dataSource() {
        return pool;
    }

    /** Empties the outbox tables and flushes dirty pages, so each workload starts from the same state. */
    void reset() throws SQLException {
        OutboxTables t = OutboxTables.defaults();
        execute("TRUNCATE " + t.outbox() + ", " + t.keys() + " RESTART IDENTITY");
        execute("CHECKPOINT");
    }

    /** After writing a backlog: fresh planner statistics and a checkpoint, as a table that has been live a while has. */
    void settle() throws SQLException {
        execute("ANALYZE " + OutboxTables.defaults().outbox());
        execute("CHECKPOINT");
    }

    void execute(String sql) throws SQLException {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            s.execute(sql);
        }
    }

    @Override
    public void close() throws IOException {
        pool.close();
        postgres.close();
    }
}
