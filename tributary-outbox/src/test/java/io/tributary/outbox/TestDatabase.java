package io.tributary.outbox;

import io.tributary.testdb.PooledTestDatabase;
import io.tributary.testdb.TestServer;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The real databases the outbox runs on (see {@link TestServer}), each with the outbox's {@link OutboxDialect}. One
 * pool per database for the whole test run. A missing server fails the test when {@code CI=true}, else skips it
 * naming the service.
 */
enum TestDatabase {
    POSTGRESQL(OutboxDialect.POSTGRESQL, TestServer.POSTGRESQL),
    MARIADB(OutboxDialect.MARIADB, TestServer.MARIADB),
    H2(OutboxDialect.H2, TestServer.H2);

    final OutboxDialect dialect;
    private final PooledTestDatabase db;

    TestDatabase(OutboxDialect dialect, TestServer server) {
        this.dialect = dialect;
        this.db = new PooledTestDatabase(server, "outbox", 24);
    }

    /** A shared pool; the server must be reachable (probed once). */
    DataSource dataSource() {
        return db.dataSource();
    }

    /**
     * A data source whose driver rewrites JDBC batches of inserts into multi-row inserts where it can, as pools often
     * configure it: pgjdbc with {@code reWriteBatchedInserts=true}, which then answers {@code SUCCESS_NO_INFO} for the
     * rows and numbers batch entries by rewritten statement. Not pooled. The other databases: {@link #dataSource()}.
     */
    DataSource rewritingBatchedInserts() {
        if (dialect != OutboxDialect.POSTGRESQL) {
            return dataSource();
        }
        dataSource(); // probes the server once, like every other test
        PGSimpleDataSource pg = new PGSimpleDataSource();
        pg.setUrl(TestServer.POSTGRESQL.jdbcUrl(""));
        pg.setUser(TestServer.POSTGRESQL.user());
        pg.setReWriteBatchedInserts(true);
        return pg;
    }

    /** Fresh tables with unique names, created through {@link OutboxSchema#create}. */
    OutboxTables freshTables() {
        String suffix = PooledTestDatabase.randomHex(10);
        OutboxTables tables = new OutboxTables("ob_" + suffix, "ib_" + suffix);
        OutboxSchema.create(dataSource(), tables);
        return tables;
    }

    void drop(OutboxTables tables) {
        List<String> stmts = new ArrayList<>(List.of("DROP TABLE IF EXISTS " + tables.outbox(),
                "DROP TABLE IF EXISTS " + tables.keys(), "DROP TABLE IF EXISTS " + tables.inbox()));
        if (dialect == OutboxDialect.POSTGRESQL) {
            stmts.add("DROP FUNCTION IF EXISTS " + tables.outbox() + "_notify()");
        }
        db.execute(stmts);
    }
}
