package io.tributary.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.tributary.outbox.Outbox;
import io.tributary.outbox.OutboxEvent;
import io.tributary.outbox.OutboxSchema;
import io.tributary.outbox.OutboxTables;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code tributary outbox} on a real (H2) outbox with a blocked key, and {@code tributary registry}'s usage. */
@Timeout(60)
class OutboxAndRegistryCommandsTest {

    private static final String URL = "jdbc:h2:mem:cli-outbox;DB_CLOSE_DELAY=-1";

    @Test
    void showsCountsListsTheFailedRowThatBlocksItsKeyAndSkipsIt() throws Exception {
        JdbcDataSource ds = new JdbcDataSource();
        ds.setURL(URL);
        OutboxSchema.create(ds, OutboxTables.defaults());
        try (Connection c = DriverManager.getConnection(URL)) {
            c.setAutoCommit(false);
            Outbox outbox = new Outbox();
            outbox.add(c, OutboxEvent.of("orders", "o-7".getBytes(StandardCharsets.UTF_8), "OrderPlaced", new byte[1]));
            outbox.add(c, OutboxEvent.of("orders", "o-7".getBytes(StandardCharsets.UTF_8), "OrderPaid", new byte[1]));
            c.commit();
            try (Statement s = c.createStatement()) {
                // What the relay does after maxAttempts non-transient failures.
                s.executeUpdate("UPDATE tributary_outbox SET status = 2, attempts = 10, last_error = 'topic missing'"
                        + " WHERE key_seq = 1");
            }
            c.commit();
        }

        Shell.Outcome stats = Shell.run("outbox", "stats", "--jdbc-url", URL);
        assertThat(stats.status()).as(stats.toString()).isZero();
        assertThat(stats.out()).contains("PENDING").contains("BLOCKED KEYS");
        assertThat(stats.outLines().get(1)).matches("\\s*1\\s+0\\s+1\\s+0\\s+1\\s+.*");

        Shell.Outcome failed = Shell.run("outbox", "failed", "--jdbc-url", URL);
        assertThat(failed.out()).contains("o-7").contains("OrderPlaced").contains("topic missing");

        Shell.Outcome skip = Shell.run("outbox", "skip", "--jdbc-url", URL, "--key", "o-7");
        assertThat(skip.status()).as(skip.toString()).isZero();
        assertThat(skip.out()).contains("1 failed row(s) of key 'o-7' are skipped");
        assertThat(Shell.run("outbox", "failed", "--jdbc-url", URL).out()).contains("No failed rows");
    }

    @Test
    void retryOfAnUnknownRowSaysHowToFindOne() {
        JdbcDataSource ds = new JdbcDataSource();
        String url = "jdbc:h2:mem:cli-outbox-empty;DB_CLOSE_DELAY=-1";
        ds.setURL(url);
        OutboxSchema.create(ds, OutboxTables.defaults());
        Shell.Outcome r = Shell.run("outbox", "retry", "--jdbc-url", url, "--id", "999");
        assertThat(r.status()).isEqualTo(ExitStatus.NOT_FOUND);
        assertThat(r.err()).contains("no failed row with id 999").contains("tributary outbox failed");
    }

    @Test
    void registryCommandDocumentsItsOptions() {
        Shell.Outcome help = Shell.run("registry", "--help");
        assertThat(help.status()).isZero();
        assertThat(help.out()).contains("--port").contains("8081").contains("--data-dir").contains("Confluent");
    }
}
