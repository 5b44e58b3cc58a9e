package io.tributary.processing;

import io.tributary.processing.spi.DedupeStore;
import io.tributary.processing.spi.DedupeStoreKit;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

/** {@link JdbcDedupeStore} passes the dedupe store kit on PostgreSQL, MariaDB and H2, each in a fresh table. */
class JdbcDedupeStoreTest {

    abstract static class OnDatabase extends DedupeStoreKit<Connection> {
        final String table = TestDatabase.uniqueTable("dd");

        abstract TestDatabase database();

        @Override
        protected DedupeStore<Connection> open(InstantSource clock) {
            return JdbcDedupeStore.create(database().dataSource(), table, clock);
        }

        @Override
        protected void close(DedupeStore<Connection> store) {
            // the pool outlives the store; rows stay in the table, as they would across a restart
        }

        @Override
        protected Connection begin(DedupeStore<Connection> store) {
            try {
                Connection c = database().dataSource().getConnection();
                c.setAutoCommit(false);
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void commit(Connection c) {
            try (c) {
                c.commit();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        protected void rollback(Connection c) {
            try (c) {
                c.rollback();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }

        @AfterEach
        void dropTable() {
            database().drop(table);
        }
    }

    @Nested
    class PostgreSql extends OnDatabase {
        @Override
        TestDatabase database() {
            return TestDatabase.POSTGRESQL;
        }
    }

    @Nested
    class MariaDb extends OnDatabase {
        @Override
        TestDatabase database() {
            return TestDatabase.MARIADB;
        }
    }

    @Nested
    class H2 extends OnDatabase {
        @Override
        TestDatabase database() {
            return TestDatabase.H2;
        }
    }
}
