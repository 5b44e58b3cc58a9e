package io.tributary.projection;

import io.tributary.testdb.PooledTestDatabase;
import io.tributary.testdb.TestServer;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * The real databases read models run on (see {@link TestServer}). One pool per database for the run. A missing server
 * fails the test when {@code CI=true}, else skips it naming the service. Every test uses its own catalog prefix and
 * table names, since other builds share the databases.
 */
enum TestDatabase {
    POSTGRESQL(TestServer.POSTGRESQL),
    MARIADB(TestServer.MARIADB),
    H2(TestServer.H2);

    final String url;
    final String user;
    private final PooledTestDatabase db;

    TestDatabase(TestServer server) {
        this.db = new PooledTestDatabase(server, "projection", 16);
        this.url = db.url();
        this.user = db.user();
    }

    DataSource dataSource() {
        return db.dataSource();
    }

    static String unique(String base) {
        return PooledTestDatabase.unique(base, 10);
    }

    long count(String sql) {
        return db.count(sql);
    }

    List<String> strings(String sql) {
        return db.strings(sql);
    }

    /** Drops the catalog tables of a test's prefix and the given physical tables. */
    void drop(String prefix, List<String> tables) {
        List<String> all = new ArrayList<>(tables);
        all.add(prefix + "_versions");
        all.add(prefix + "_checkpoints");
        db.dropTables(all.toArray(String[]::new));
    }
}
