package io.tributary.testdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class PooledTestDatabaseTest {

    @ParameterizedTest
    @EnumSource(TestServer.class)
    void aTableCreatedThroughThePoolIsCountedReadAndDroppedOnEveryServer(TestServer server) throws SQLException {
        PooledTestDatabase db = new PooledTestDatabase(server, "testdb", 2);
        String table = PooledTestDatabase.unique("testdb_t", 12);
        db.execute(List.of("CREATE TABLE " + table + " (name VARCHAR(20))",
                "INSERT INTO " + table + " VALUES ('b')", "INSERT INTO " + table + " VALUES ('a')"));
        try {
            assertThat(db.count("SELECT count(*) FROM " + table)).isEqualTo(2);
            assertThat(db.strings("SELECT name FROM " + table + " ORDER BY name")).containsExactly("a", "b");
        } finally {
            db.dropTables(table);
        }
        assertThatThrownBy(() -> db.count("SELECT count(*) FROM " + table))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theSameInstanceHandsOutOnePoolForTheWholeRun() {
        PooledTestDatabase db = new PooledTestDatabase(TestServer.H2, "testdb", 2);
        assertThat(db.dataSource()).isSameAs(db.dataSource());
        assertThat(db.url()).isEqualTo("jdbc:h2:mem:testdb;DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=10000");
    }

    @Test
    void uniqueNamesCarryTheBaseAndTheAskedNumberOfRandomHexDigits() {
        List<String> names = IntStream.range(0, 1000).mapToObj(i -> PooledTestDatabase.unique("ob", 10)).toList();
        assertThat(names).allMatch(n -> n.matches("ob_[0-9a-f]{10}")).doesNotHaveDuplicates();
        assertThatThrownBy(() -> PooledTestDatabase.unique("ob", 4)).hasMessageContaining("8 to 32");
    }

    @Test
    void aSuiteNameThatCannotNameAPoolOrAnH2DatabaseIsRefused() {
        assertThatThrownBy(() -> new PooledTestDatabase(TestServer.H2, "My Suite", 2))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lower-case name");
        assertThatThrownBy(() -> new PooledTestDatabase(TestServer.H2, "x", 0))
                .hasMessageContaining("at least 1");
    }

    @Test
    void theServersAreReachedOnTheLoopbackOnly() {
        assertThat(TestServer.POSTGRESQL.jdbcUrl("ignored")).isEqualTo("jdbc:postgresql://127.0.0.1:5432/postgres");
        assertThat(TestServer.MARIADB.jdbcUrl("ignored")).isEqualTo("jdbc:mariadb://127.0.0.1:3306/test");
        assertThat(TestPostgres.urlOf(5433)).isEqualTo("jdbc:postgresql://127.0.0.1:5433/postgres");
    }

    @Test
    void testPostgresAnswersQueries() throws SQLException {
        try (var c = TestPostgres.connect(); var s = c.createStatement(); var rs = s.executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }
}
