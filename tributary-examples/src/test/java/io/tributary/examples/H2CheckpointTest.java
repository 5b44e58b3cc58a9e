package io.tributary.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's {@code beforeOffsetCommit} hook runs on a processor's poll loop, so it must never wait for the pool the
 * handlers use (which it did: a pooled connection, up to HikariCP's 30 s connection timeout when the pool was taken),
 * and one failure must not break every later offset commit.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class H2CheckpointTest {

    @TempDir
    Path dir;

    @Test
    void checkpointsPromptlyWhileEveryPooledConnectionIsTakenAndHoldsAnOpenTransaction() throws Exception {
        String url = OrderFulfilmentDemo.embeddedJdbcUrl(dir);
        try (HikariDataSource pool = OrderFulfilmentDemo.dataSource(url, Optional.empty(), 1);
             Connection only = pool.getConnection();
             H2Checkpoint checkpoint = new H2Checkpoint(url, Optional.empty())) {
            try (Statement s = only.createStatement()) {
                s.execute("CREATE TABLE t (id INT PRIMARY KEY)");
                only.setAutoCommit(false);
                s.execute("INSERT INTO t VALUES (1)"); // uncommitted while the hook runs, as a handler's may be
            }
            long start = System.nanoTime();
            checkpoint.run(Map.of());
            checkpoint.run(Map.of());
            // Far below the pool's 30 s connection timeout and H2's 10 s lock timeout in the demo's URL: CHECKPOINT
            // waits neither for a pooled connection nor for an open transaction.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(5_000);
            only.rollback();
        }
    }

    @Test
    void connectsWithTheUserAndPasswordTheUrlCarriesAsThePoolDoes() throws Exception {
        String url = OrderFulfilmentDemo.embeddedJdbcUrl(dir) + ";USER=sa;PASSWORD=secret";
        try (HikariDataSource pool = OrderFulfilmentDemo.dataSource(url, Optional.empty(), 1);
             Connection first = pool.getConnection(); // creates the database, its admin sa with that password
             H2Checkpoint checkpoint = new H2Checkpoint(url, Optional.empty())) {
            checkpoint.run(Map.of());
        }
    }

    @Test
    void connectsAsTheUserThePoolIsGiven() throws Exception {
        String url = OrderFulfilmentDemo.embeddedJdbcUrl(dir);
        try (HikariDataSource pool = OrderFulfilmentDemo.dataSource(url, Optional.of("owner"), 1);
             Connection first = pool.getConnection(); // creates the database with "owner", no password, as its admin
             H2Checkpoint checkpoint = new H2Checkpoint(url, Optional.of("owner"))) {
            checkpoint.run(Map.of());
        }
    }

    @Test
    void opensAFreshConnectionOnTheRunAfterAFailedOne() throws Exception {
        String url = OrderFulfilmentDemo.embeddedJdbcUrl(dir);
        try (H2Checkpoint checkpoint = new H2Checkpoint(url, Optional.empty())) {
            checkpoint.run(Map.of());
            // Closes the database under the hook's session: its kept connection is dead from now on.
            try (Connection other = DriverManager.getConnection(url, "", "");
                 Statement s = other.createStatement()) {
                s.execute("SHUTDOWN");
            }
            assertThatThrownBy(() -> checkpoint.run(Map.of())).isInstanceOf(SQLException.class);
            checkpoint.run(Map.of());
        }
    }

    @Test
    void refusesToRunOnceClosedInsteadOfOpeningAConnectionNobodyCloses() throws Exception {
        H2Checkpoint checkpoint = new H2Checkpoint(OrderFulfilmentDemo.embeddedJdbcUrl(dir), Optional.empty());
        checkpoint.run(Map.of());
        checkpoint.close();
        assertThatThrownBy(() -> checkpoint.run(Map.of())).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("close the processors before their hook");
    }

    @Test
    void refusesADatabaseThatIsNotH2() {
        assertThatThrownBy(() -> new H2Checkpoint("jdbc:postgresql://127.0.0.1:5432/postgres", Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an H2 URL");
    }
}
