package io.tributary.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.eventstore.DuplicateEventIdException;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStore;
import io.tributary.eventstore.EventStores;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PositionStrategy;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.Subscription;
import io.tributary.eventstore.SubscriptionConfig;
import io.tributary.eventstore.WriteResult;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What only the PostgreSQL backend has to show: late commits far behind the head, schema handling, settings. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PostgresEventStoreTest {

    private static List<EventData> batch(int n) {
        List<EventData> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(EventData.of("Tick", ("t" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    /**
     * Axon's tracking reader drops an event whose transaction stays open while 10,000 later events commit
     * (maxGapOffset). Ours holds the subscriber at the open transaction and delivers the event once it commits.
     */
    @Test
    void anEventWhoseTransactionStaysOpenWhileTenThousandLaterEventsCommitIsStillDelivered() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config); Connection slow = PostgresSupport.connect()) {
            store.append("warmup-1", ExpectedVersion.any(), batch(1));
            List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
            try (Subscription sub = store.subscribe(EventFilter.all(), EventStore.BEGINNING,
                    SubscriptionConfig.defaults().withPollInterval(Duration.ofMillis(10)), seen::add)) {
                slow.setAutoCommit(false);
                EventData late = EventData.of("Late", new byte[]{42});
                WriteResult held = PostgresTestStores.callAppend(slow, config, false, "slow-1", ExpectedVersion.any(), List.of(late));

                long lastLater = 0;
                for (int i = 0; i < 100; i++) {
                    lastLater = store.append("fast-" + (i % 10), ExpectedVersion.any(), batch(100)).lastPosition();
                }
                // The hazard is real: 10,000 events with higher positions are committed and a plain
                // "position > checkpoint" reader would already have moved past the open one.
                try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT count(*) FROM " + config.schema()
                             + ".es_events WHERE position > " + held.firstPosition())) {
                    rs.next();
                    assertThat(rs.getLong(1)).isEqualTo(10_000);
                }
                Thread.sleep(300);
                assertThat(sub.position()).isLessThan(held.firstPosition());
                assertThat(store.committedPosition()).isLessThan(held.firstPosition());

                slow.commit();
                assertThat(sub.awaitPosition(lastLater, Duration.ofSeconds(60))).isTrue();
                assertThat(seen).filteredOn(e -> e.eventId().equals(late.eventId())).hasSize(1);
                assertThat(seen).hasSize(1 + 1 + 10_000);
                for (int i = 1; i < seen.size(); i++) {
                    assertThat(seen.get(i).position()).isGreaterThan(seen.get(i - 1).position());
                }
            }
        }
    }

    /**
     * The append path is one plain transaction: no subtransaction (an exception block would give the events a
     * subtransaction id of their own and cost every append), and a new stream's row is inserted at its last version
     * rather than inserted and then updated.
     */
    @Test
    void anAppendIsOneTransactionWithoutSubtransactionsAndWritesANewStreamsRowOnce() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect();
             Statement st = c.createStatement()) {
            WriteResult written = store.append("order-1", ExpectedVersion.noStream(), batch(3));
            assertThat(written.lastVersion()).isEqualTo(2);
            try (ResultSet rs = st.executeQuery("SELECT e.xmin::TEXT::BIGINT, (e.position >> 20) % 4294967296,"
                    + " s.xmin::TEXT::BIGINT, s.ctid::TEXT, s.last_version FROM " + config.schema() + ".es_events e JOIN "
                    + config.schema() + ".es_streams s USING (stream_id)")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    assertThat(rs.getLong(1)).as("the events' xmin is the appending transaction's own id")
                            .isEqualTo(rs.getLong(2)).isEqualTo(rs.getLong(3));
                    assertThat(rs.getString(4)).as("the stream row's first and only version").isEqualTo("(0,1)");
                    assertThat(rs.getLong(5)).isEqualTo(2);
                }
                assertThat(rows).isEqualTo(3);
            }
        }
    }

    /**
     * An append refused because one of its event ids is stored elsewhere leaves nothing behind: no empty row for
     * the stream it would have created and, with the serialised strategy, no hole in the positions.
     */
    @Test
    void anAppendRefusedForAnEventIdStoredElsewhereLeavesNoTrace() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig().withPositionStrategy(PositionStrategy.SERIALISED);
        try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect();
             Statement st = c.createStatement()) {
            EventData taken = EventData.of("Tick", new byte[] {1});
            assertThat(store.append("a-1", ExpectedVersion.any(), List.of(taken)).firstPosition()).isZero();
            assertThatThrownBy(() -> store.append("b-1", ExpectedVersion.any(), List.of(EventData.of("Tick", new byte[] {2}), taken)))
                    .isInstanceOf(DuplicateEventIdException.class).hasMessageContaining(taken.eventId().toString());
            assertThat(store.streamInfo("b-1").exists()).isFalse();
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + config.schema() + ".es_streams WHERE stream_name = 'b-1'")) {
                rs.next();
                assertThat(rs.getLong(1)).isZero();
            }
            assertThat(store.append("c-1", ExpectedVersion.any(), batch(1)).firstPosition())
                    .as("positions stay dense after a refused append").isEqualTo(1);
            assertThat(store.append("a-1", ExpectedVersion.any(), List.of(taken)).idempotent()).isTrue();
        }
    }

    @Test
    void openingTwiceOnOneSchemaIsHarmlessAndKeepsTheData() {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore first = PostgresTestStores.open(config)) {
            first.append("order-1", ExpectedVersion.noStream(), batch(2));
        }
        try (EventStore second = PostgresTestStores.open(config)) {
            assertThat(second.readStreamForward("order-1", 0, 10)).hasSize(2);
        }
    }

    @Test
    void aStoreThatMustNotCreateItsSchemaSaysHowToCreateIt() {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig().withCreateSchema(false);
        assertThatThrownBy(() -> PostgresTestStores.open(config))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
                    assertThat(e.getMessage()).contains(config.schema(), "postgres-schema.sql", "createSchema=true");
                });
    }

    @Test
    void opensFromSettingsAndReportsEveryBadSettingAtOnce() {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = EventStores.open(Map.of("tributary.eventstore.backend", "postgres",
                "tributary.eventstore.postgres.url", config.jdbcUrl(),
                "tributary.eventstore.postgres.schema", config.schema()))) {
            assertThat(store.backend()).isEqualTo("postgres");
            assertThat(store.append("a-1", ExpectedVersion.any(), batch(1)).lastVersion()).isZero();
        }
        assertThatThrownBy(() -> EventStores.open(Map.of("tributary.eventstore.backend", "postgres",
                "tributary.eventstore.postgres.pool-size", "many", "tributary.eventstore.postgres.colour", "red")))
                .hasMessageContaining("url is missing").hasMessageContaining("pool-size")
                .hasMessageContaining("unknown setting 'tributary.eventstore.postgres.colour'");
        assertThatThrownBy(() -> EventStores.open(Map.of("tributary.eventstore.backend", "mongo")))
                .hasMessageContaining("'mongo'").hasMessageContaining("postgres");
    }

    @Test
    void theShippedSchemaScriptNamesTheSchemaEverywhere() {
        String script = io.tributary.eventstore.internal.postgres.PostgresEventStore.schemaScript("my_app");
        assertThat(script).contains("CREATE TABLE IF NOT EXISTS my_app.es_events", "my_app.es_append(")
                .doesNotContain("__SCHEMA__");
    }
}
