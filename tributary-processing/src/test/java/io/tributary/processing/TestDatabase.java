package io.tributary.processing;

import io.tributary.testdb.PooledTestDatabase;
import io.tributary.testdb.TestServer;
import javax.sql.DataSource;

/**
 * The real databases the JDBC dedupe store runs on (see {@link TestServer}). One pool per database for the test
 * run. A missing server fails the test when {@code CI=true}, else skips it naming the service.
 */
enum TestDatabase {
    POSTGRESQL(TestServer.POSTGRESQL),
    MARIADB(TestServer.MARIADB),
    H2(TestServer.H2);

    final String url;
    final String user;
    private final PooledTestDatabase db;

    TestDatabase(TestServer server) {
        this.db = new PooledTestDatabase(server, "dedupe", 24);
        this.url = db.url();
        this.user = db.user();
    }

    DataSource dataSource() {
        return db.dataSource();
    }

    /** A table name no other test (or helper sharing the database) uses. */
    static String uniqueTable(String prefix) {
        return PooledTestDatabase.unique(prefix, 12);
    }

    void drop(String table) {
        db.dropTables(table);
    }

    void requireServer() {
        db.server().requireReachable("dedupe");
    }
}
