package io.tributary.processing;

import static io.tributary.processing.Fixtures.await;
import static io.tributary.processing.Fixtures.config;
import static io.tributary.processing.Fixtures.createTopic;
import static io.tributary.processing.Fixtures.openLog;
import static io.tributary.processing.Fixtures.produce;
import static io.tributary.processing.Fixtures.seq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.InvalidRequestException;
import io.tributary.log.EventLog;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@link JdbcHandlers#transactional} on H2 and the embedded log: claim and effects commit or roll back together. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JdbcHandlersTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private final TestDatabase db = TestDatabase.H2;
    private final String table = TestDatabase.uniqueTable("ddh");
    private final String effects = table + "_fx";

    @TempDir
    Path dir;

    @AfterEach
    void dropTables() {
        db.drop(effects);
        db.drop(table);
    }

    private long effectRows(DataSource ds, String where) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + effects + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void appliesEachEventOnceAcrossARedeliveryAndRollsBackAFailedAttemptWithItsClaim() throws Exception {
        DataSource ds = db.dataSource();
        JdbcDedupeStore store = JdbcDedupeStore.create(ds, table, java.time.InstantSource.system());
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + effects + " (seq INT NOT NULL, k VARCHAR(10) NOT NULL)");
        }
        AtomicInteger failures = new AtomicInteger();
        JdbcEventHandler effect = (e, c) -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + effects + " VALUES (?, ?)")) {
                ps.setInt(1, seq(e));
                ps.setString(2, Fixtures.key(e));
                ps.executeUpdate();
            }
            if (seq(e) == 3 && Fixtures.key(e).equals("a") && failures.incrementAndGet() == 1) {
                throw new IllegalStateException("fails after writing its row: the row must roll back");
            }
        };
        try (EventLog log = openLog(dir)) {
            createTopic(log, "orders", 2);
            produce(log, "orders", List.of("a", "b"), 10);
            ProcessorConfig cfg = config("g1", "orders").withRetry(RetryPolicy.defaults()
                    .withBackoff(Duration.ofMillis(5), Duration.ofMillis(5)));
            try (Processor p = Processor.start(log, cfg, JdbcHandlers.transactional(ds, store, "billing", effect))) {
                await("all committed", WAIT, () -> log.admin().describeGroup("g1").totalLag() == 0);
            }
            assertThat(failures).hasValue(2);
            assertThat(effectRows(ds, "")).isEqualTo(20);
            assertThat(effectRows(ds, " WHERE seq = 3 AND k = 'a'")).as("the failed attempt's row rolled back")
                    .isEqualTo(1);

            AtomicInteger calls = new AtomicInteger();
            EventHandler again = JdbcHandlers.transactional(ds, store, "billing", effect);
            try (Processor p = Processor.start(log, config("g2", "orders"), e -> {
                calls.incrementAndGet();
                again.handle(e);
            })) {
                await("every event delivered again", WAIT, () -> calls.get() == 20);
                await("all committed", WAIT, () -> log.admin().describeGroup("g2").totalLag() == 0);
            }
            assertThat(effectRows(ds, "")).as("nothing applied twice").isEqualTo(20);
        }
    }

    @Test
    void refusesAClaimOnAnAutoCommitConnectionSayingHowToFixIt() throws Exception {
        JdbcDedupeStore store = JdbcDedupeStore.create(db.dataSource(), table, java.time.InstantSource.system());
        try (Connection c = db.dataSource().getConnection()) {
            c.setAutoCommit(true);
            assertThatThrownBy(() -> store.claim(c, "billing", UUID.randomUUID()))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("setAutoCommit(false)")
                    .satisfies(e -> assertThat(((InvalidRequestException) e).code())
                            .isEqualTo(DedupeErrors.DEDUPE_NOT_IN_TRANSACTION));
        }
    }

    @Test
    void createsATableOfTheOutboxInboxShape() throws Exception {
        JdbcDedupeStore.create(db.dataSource(), table, java.time.InstantSource.system());
        List<String> columns = new ArrayList<>();
        List<String> key = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection()) {
            DatabaseMetaData md = c.getMetaData();
            try (ResultSet rs = md.getColumns(null, null, table.toUpperCase(Locale.ROOT), null)) {
                while (rs.next()) {
                    columns.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT) + " "
                            + rs.getString("TYPE_NAME").toLowerCase(Locale.ROOT));
                }
            }
            try (ResultSet rs = md.getPrimaryKeys(null, null, table.toUpperCase(Locale.ROOT))) {
                while (rs.next()) {
                    key.add(rs.getString("COLUMN_NAME").toLowerCase(Locale.ROOT));
                }
            }
        }
        assertThat(columns).containsExactly("consumer character varying", "event_id character varying",
                "processed_at bigint");
        assertThat(key).containsExactlyInAnyOrder("consumer", "event_id");
    }
}
