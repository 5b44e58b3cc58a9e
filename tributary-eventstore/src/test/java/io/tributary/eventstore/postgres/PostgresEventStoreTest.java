package io.tributary.eventstore.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.tributary.core.ErrorCode;
import io.tributary.core.Headers;
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
import io.tributary.eventstore.StreamName;
import io.tributary.eventstore.Subscription;
import io.tributary.eventstore.SubscriptionConfig;
import io.tributary.eventstore.WriteResult;
import java.nio.charset.StandardCharsets;
import io.tributary.eventstore.internal.HeaderCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
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
     * subtransaction id of their own and cost every append), and a new stream's row is inserted once, not inserted
     * and then updated.
     */
    @Test
    void anAppendIsOneTransactionWithoutSubtransactionsAndWritesANewStreamsRowOnce() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect();
             Statement st = c.createStatement()) {
            WriteResult written = store.append("order-1", ExpectedVersion.noStream(), batch(3));
            assertThat(written.lastVersion()).isEqualTo(2);
            try (ResultSet rs = st.executeQuery("SELECT e.xmin::TEXT::BIGINT, (e.position >> 20) % 4294967296,"
                    + " s.xmin::TEXT::BIGINT, s.ctid::TEXT FROM " + config.schema() + ".es_events e JOIN "
                    + config.schema() + ".es_streams s USING (stream_id)")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                    assertThat(rs.getLong(1)).as("the events' xmin is the appending transaction's own id")
                            .isEqualTo(rs.getLong(2)).isEqualTo(rs.getLong(3));
                    assertThat(rs.getString(4)).as("the stream row's first and only version").isEqualTo("(0,1)");
                }
                assertThat(rows).isEqualTo(3);
            }
        }
    }

    /**
     * An append to an existing stream writes only its events: the stream row is neither updated nor locked (its
     * last version is read from the events), so it keeps the version its creation wrote, whatever the number of
     * appends, one event or a batch. Only recreating a soft-deleted stream writes it, once, and versions continue.
     */
    @Test
    void anAppendToAnExistingStreamLeavesItsRowUntouchedUnlessItRecreatesASoftDeletedStream() throws Exception {
        for (PositionStrategy strategy : PositionStrategy.values()) {
            PostgresEventStoreConfig config = PostgresSupport.freshConfig().withPositionStrategy(strategy);
            try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect()) {
                store.append("order-1", ExpectedVersion.noStream(), batch(1));
                String created = streamRowVersion(c, config, "order-1");
                assertThat(created).as("%s: xmax 0, no transaction has locked the row", strategy).endsWith(" 0");
                store.append("order-1", ExpectedVersion.exactly(0), batch(1));
                store.append("order-1", ExpectedVersion.any(), batch(3));
                assertThat(store.append("order-1", ExpectedVersion.exactly(4), batch(1)).lastVersion()).isEqualTo(5);
                assertThat(streamRowVersion(c, config, "order-1")).as("%s: the row after three appends", strategy)
                        .isEqualTo(created);
                assertThat(store.streamInfo("order-1").lastVersion()).isEqualTo(5);

                store.deleteStream("order-1", ExpectedVersion.exactly(5));
                assertThat(store.streamInfo("order-1").exists()).isFalse();
                assertThatThrownBy(() -> store.append("order-1", ExpectedVersion.exactly(5), batch(1)))
                        .isInstanceOf(io.tributary.eventstore.WrongExpectedVersionException.class);
                assertThat(store.append("order-1", ExpectedVersion.noStream(), batch(1)).lastVersion())
                        .as("%s: a recreated stream continues its versions", strategy).isEqualTo(6);
                assertThat(streamRowVersion(c, config, "order-1")).isNotEqualTo(created);
                assertThat(store.readStreamForward("order-1", 0, 10)).extracting(RecordedEvent::version).containsExactly(6L);
                assertThat(store.streamInfo("order-1").lastVersion()).isEqualTo(6);
            }
        }
    }

    /**
     * Where the stream row's current version is, which transaction wrote it and which last locked or deleted it
     * (xmax: 0 while none has, so a SELECT ... FOR UPDATE or FOR KEY SHARE of the row would change it).
     */
    private static String streamRowVersion(Connection c, PostgresEventStoreConfig config, String stream) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT ctid::TEXT || ' ' || xmin::TEXT"
                + " || ' ' || xmax::TEXT FROM "
                + config.schema() + ".es_streams WHERE stream_name = '" + stream + "'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    /**
     * A one-event append goes to es_append_event (scalar parameters), a batch to es_append_events (arrays): the two must
     * answer alike. Under each position strategy, every expectation against a live, a soft-deleted, a tombstoned and
     * a missing stream, with a fresh id, a repeat of the last event and an id stored at another version, is run
     * through both in a transaction that is rolled back: same status, version, positions (or the same SQLSTATE), same
     * move of the position counter, same event and stream rows.
     */
    @Test
    void aOneEventAppendAnswersAndWritesExactlyAsTheBatchFunctionDoesWithOneEvent() throws Exception {
        int compared = 0;
        for (PositionStrategy strategy : PositionStrategy.values()) {
            PostgresEventStoreConfig config = PostgresSupport.freshConfig().withPositionStrategy(strategy);
            boolean serialised = strategy == PositionStrategy.SERIALISED;
            try (EventStore store = PostgresTestStores.open(config); Connection c = PostgresSupport.connect()) {
                EventData first = EventData.of("Tick", new byte[] {1});
                EventData last = EventData.of("Tick", new byte[] {2});
                store.append("live-1", ExpectedVersion.noStream(), List.of(first, last));
                store.append("soft-1", ExpectedVersion.noStream(), batch(1));
                store.deleteStream("soft-1", ExpectedVersion.any());
                store.append("tomb-1", ExpectedVersion.noStream(), batch(1));
                store.tombstoneStream("tomb-1", ExpectedVersion.any());
                c.setAutoCommit(false);
                int written = 0;
                for (String stream : List.of("live-1", "soft-1", "tomb-1", "new-1")) {
                    for (long expected : new long[] {-2, -1, -4, 0, 1, 5}) {
                        for (UUID id : List.of(UUID.randomUUID(), last.eventId(), first.eventId())) {
                            String batchAnswer = appendOnce(c, config, false, serialised, stream, expected, id);
                            String oneAnswer = appendOnce(c, config, true, serialised, stream, expected, id);
                            assertThat(oneAnswer).as("%s, stream %s, expected %d, id %s", strategy, stream, expected, id)
                                    .isEqualTo(batchAnswer);
                            written += batchAnswer.startsWith("status 0,") ? 1 : 0;
                            compared++;
                        }
                    }
                }
                // Guards the comparison itself: some situations must write (else positions were never compared).
                assertThat(written).as("%s: situations that wrote an event", strategy).isPositive();
            }
        }
        assertThat(compared).isEqualTo(72 * PositionStrategy.values().length);
    }

    /**
     * One call of es_append_event or es_append_events with one event, described, then rolled back. Positions the call wrote
     * are described relative to where they come from, which differs between the two calls: this transaction's id
     * (TRANSACTION_ID), or the position counter as read just before the call (SERIALISED). The counter's move is part
     * of the description under both strategies.
     */
    private static String appendOnce(Connection c, PostgresEventStoreConfig config, boolean one, boolean serialised,
                                     String stream, long expected, UUID id) throws Exception {
        String fn = one ? ".es_append_event" : ".es_append_events";
        byte[] meta = HeaderCodec.encode(Headers.empty().with("k", "v"));
        try {
            long counterBefore = positionCounter(c, config);
            StringBuilder out = new StringBuilder();
            try (PreparedStatement ps = c.prepareStatement("SELECT r_status, r_version, r_first, r_last, r_conflict_id,"
                    + " pg_current_xact_id()::TEXT::BIGINT << 20 FROM " + config.schema() + fn + "(?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                ps.setString(1, stream);
                ps.setString(2, StreamName.categoryOf(stream));
                ps.setLong(3, expected);
                if (one) {
                    ps.setObject(4, id);
                    ps.setString(5, "Probe");
                    ps.setBytes(6, new byte[] {7, 8});
                    ps.setBytes(7, meta);
                } else {
                    ps.setArray(4, c.createArrayOf("uuid", new UUID[] {id}));
                    ps.setArray(5, c.createArrayOf("text", new String[] {"Probe"}));
                    ps.setArray(6, c.createArrayOf("bytea", new byte[][] {{7, 8}}));
                    ps.setArray(7, c.createArrayOf("bytea", new byte[][] {meta}));
                }
                ps.setBoolean(8, serialised);
                ps.setInt(9, stream.hashCode());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    int status = rs.getInt(1);
                    String positions;
                    if (status != 0) {
                        positions = rs.getObject(3) + ".." + rs.getObject(4);
                    } else if (serialised) {
                        positions = "counter before + " + (rs.getLong(3) - counterBefore) + ".." + (rs.getLong(4) - counterBefore);
                    } else {
                        boolean own = rs.getLong(3) == rs.getLong(6) && rs.getLong(4) == rs.getLong(6);
                        positions = own ? "this transaction's" : rs.getLong(3) + ".." + rs.getLong(4);
                    }
                    out.append("status ").append(status).append(", version ").append(rs.getLong(2))
                            .append(", positions ").append(positions).append(", conflict ").append(rs.getObject(5));
                }
            }
            out.append(", counter moved by ").append(positionCounter(c, config) - counterBefore);
            // The event row this call wrote (xmin is this transaction), and the stream's row.
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT (SELECT max(m.version) FROM "
                    + config.schema() + ".es_events m WHERE m.stream_id = s.stream_id), s.soft_deleted,"
                    + " s.tombstoned, e.version, e.event_type, e.category, encode(e.data, 'hex'), encode(e.metadata, 'hex'),"
                    + " e.stream_id = s.stream_id FROM " + config.schema() + ".es_streams s LEFT JOIN " + config.schema()
                    + ".es_events e ON e.event_id = '" + id + "' AND e.xmin = pg_current_xact_id()::xid"
                    + " WHERE s.stream_name = '" + stream + "'")) {
                while (rs.next()) {
                    for (int i = 1; i <= 9; i++) {
                        out.append(i == 1 ? "; rows " : " ").append(rs.getObject(i));
                    }
                }
            }
            return out.toString();
        } catch (SQLException e) {
            return "SQLSTATE " + e.getSQLState();
        } finally {
            c.rollback();
        }
    }

    private static long positionCounter(Connection c, PostgresEventStoreConfig config) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT last FROM " + config.schema() + ".es_position_counter WHERE id = 1")) {
            rs.next();
            return rs.getLong(1);
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

    /**
     * A schema created by the script of a version without es_append_event (simulated by dropping it) has every table:
     * a store opened on it with createSchema=false must fail at open, naming the function and the fix, rather than
     * open and then fail every one-event append with "tables are missing". Opening once with createSchema=true adds it.
     */
    @Test
    void refusesToOpenWithoutCreatingTheSchemaWhenEsAppendEventIsMissingAndNamesTheFunctionAndTheFix() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config)) {
            store.append("order-1", ExpectedVersion.noStream(), batch(2));
        }
        dropAppendEvent(config);
        PostgresEventStoreConfig existing = config.withCreateSchema(false);
        assertThatThrownBy(() -> PostgresTestStores.open(existing))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
                    assertThat(e.getMessage()).contains(config.schema() + ".es_append_event(text,text,bigint,uuid,text,"
                                    + "bytea,bytea,boolean,integer)", "postgres-schema.sql", "createSchema=true")
                            .doesNotContain("table ", "es_append_events(", "es_resolve", "es_id_check");
                });

        try (EventStore upgrading = PostgresTestStores.open(config)) {
            assertThat(upgrading.readStreamForward("order-1", 0, 10)).hasSize(2);
        }
        try (EventStore upgraded = PostgresTestStores.open(existing)) {
            assertThat(upgraded.append("order-1", ExpectedVersion.exactly(1), batch(1)).lastVersion()).isEqualTo(2);
        }
    }

    /**
     * A schema made by the round-10 script (a copy is in the test resources) keeps each stream's last version in
     * es_streams.last_version, updated on every append by its functions es_append_one and es_append. A store opened on
     * it with createSchema=false fails at open, naming this version's functions and the fix. Opened once with
     * createSchema=true, the column and those functions go: every stream keeps its version, its soft delete and its
     * metadata, and appends go on from there. An older client that reruns its own script afterwards (a restart during
     * a rolling upgrade) brings back only its own functions, which then fail for want of the column, loudly; this
     * version's appends are unaffected.
     */
    @Test
    void aSchemaMadeByTheRoundTenScriptIsRefusedWithoutCreateSchemaAndUpgradedOnOpenKeepingEveryStreamsVersion()
            throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        String oldScript;
        try (var in = PostgresEventStoreTest.class.getResourceAsStream("postgres-schema-round10.sql")) {
            oldScript = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("__SCHEMA__", config.schema());
        }
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement()) {
            st.execute(oldScript);
            // What the round-10 client did: appends through its functions, a soft delete and a metadata row by SQL.
            roundTenAppend(c, config, "order-1", ExpectedVersion.noStream(), 3);
            roundTenAppend(c, config, "order-1", ExpectedVersion.exactly(2), 1);
            roundTenAppend(c, config, "cart-1", ExpectedVersion.noStream(), 2);
            st.execute("UPDATE " + config.schema() + ".es_streams SET soft_deleted = TRUE,"
                    + " deleted_before = last_version + 1 WHERE stream_name = 'cart-1'");
            st.execute("INSERT INTO " + config.schema() + ".es_streams (stream_name, category, max_count)"
                    + " VALUES ('capped-1', 'capped', 2)");
            roundTenAppend(c, config, "capped-1", ExpectedVersion.any(), 5);
            // A hard delete as the round-10 client made it: the row flagged (its last_version kept), the events gone.
            roundTenAppend(c, config, "gone-1", ExpectedVersion.noStream(), 2);
            st.execute("UPDATE " + config.schema() + ".es_streams SET tombstoned = TRUE WHERE stream_name = 'gone-1'");
            st.execute("DELETE FROM " + config.schema() + ".es_events WHERE stream_id = (SELECT stream_id FROM "
                    + config.schema() + ".es_streams WHERE stream_name = 'gone-1')");
        }
        assertThat(hasLastVersionColumn(config)).isTrue();
        assertThatThrownBy(() -> PostgresTestStores.open(config.withCreateSchema(false)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
                    assertThat(e.getMessage()).contains(config.schema() + ".es_append_event(", config.schema()
                                    + ".es_append_events(", "older postgres-schema.sql", "createSchema=true")
                            .doesNotContain("table ");
                });

        for (int open = 0; open < 2; open++) {
            try (EventStore upgraded = PostgresTestStores.open(config)) {
                assertThat(hasLastVersionColumn(config)).isFalse();
                assertThat(upgraded.streamInfo("order-1").lastVersion()).isEqualTo(3 + open);
                assertThat(upgraded.append("order-1", ExpectedVersion.exactly(3 + open), batch(1)).lastVersion())
                        .isEqualTo(4 + open);
                assertThat(upgraded.readStreamForward("capped-1", 0, 10)).extracting(RecordedEvent::version)
                        .containsExactly(3L, 4L);
                assertThatThrownBy(() -> upgraded.append("gone-1", ExpectedVersion.any(), batch(1)))
                        .as("the stream tombstoned before the upgrade stays deleted")
                        .isInstanceOf(io.tributary.eventstore.StreamDeletedException.class);
                assertThatThrownBy(() -> upgraded.readStreamForward("gone-1", 0, 10))
                        .isInstanceOf(io.tributary.eventstore.StreamDeletedException.class);
                assertThat(upgraded.streamInfo("gone-1").state()).isEqualTo(io.tributary.eventstore.StreamInfo.State.TOMBSTONED);
                if (open == 0) {
                    assertThat(upgraded.streamInfo("cart-1").exists()).isFalse();
                    assertThat(upgraded.readStreamForward("cart-1", 0, 10)).isEmpty();
                    assertThat(upgraded.append("cart-1", ExpectedVersion.noStream(), batch(1)).lastVersion())
                            .as("the soft-deleted stream is recreated after its last version").isEqualTo(2);
                }
                assertThat(roundTenFunctions(config)).as("the round-10 functions are dropped on open").isZero();

                // A round-10 client reopens with createSchema=true: its script runs again over the upgraded schema.
                try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement()) {
                    st.execute(oldScript);
                    assertThat(roundTenFunctions(config)).isEqualTo(2);
                    assertThatThrownBy(() -> roundTenAppend(c, config, "order-1", ExpectedVersion.any(), 1))
                            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState())
                                    .as("undefined_column: the round-10 client fails loudly").isEqualTo("42703"));
                }
                assertThat(upgraded.append("fresh-" + open, ExpectedVersion.noStream(), batch(1)).lastVersion())
                        .as("this version's appends are unaffected").isZero();
                assertThat(upgraded.append("fresh-" + open, ExpectedVersion.exactly(0), batch(2)).lastVersion()).isEqualTo(2);
            }
        }
    }

    /**
     * A round-10 client's append reads es_streams and then writes es_events. The upgrade must take its locks in that
     * order too: had it locked es_events (CREATE INDEX IF NOT EXISTS takes SHARE even when the index exists) before
     * waiting for es_streams' ACCESS EXCLUSIVE, an append in flight would deadlock with it and one of them fail.
     */
    @Test
    void anUpgradeWaitsForARoundTenAppendInFlightRatherThanDeadlockingWithIt() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        String oldScript;
        try (var in = PostgresEventStoreTest.class.getResourceAsStream("postgres-schema-round10.sql")) {
            oldScript = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("__SCHEMA__", config.schema());
        }
        try (Connection append = PostgresSupport.connect(); Statement st = append.createStatement()) {
            st.execute(oldScript);
            roundTenAppend(append, config, "order-1", ExpectedVersion.noStream(), 1);
            append.setAutoCommit(false);
            // The append in flight, as the round-10 function runs it: the stream row first, the events after.
            st.execute("SELECT count(*) FROM " + config.schema() + ".es_streams");
            java.util.concurrent.CompletableFuture<Void> upgrade = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (EventStore upgraded = PostgresTestStores.open(config)) {
                    upgraded.streamInfo("order-1");
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!upgradeWaitsForStreams(config)) {
                assertThat(upgrade).as("the upgrade must wait for the append's lock on es_streams").isNotDone();
                assertThat(System.nanoTime()).as("the upgrade never waited").isLessThan(deadline);
                Thread.sleep(10);
            }
            st.execute("LOCK TABLE " + config.schema() + ".es_events IN ROW EXCLUSIVE MODE");
            append.commit();
            upgrade.get(20, TimeUnit.SECONDS);
        }
        assertThat(hasLastVersionColumn(config)).isFalse();
    }

    /**
     * Two processes opening a round-10 schema at once: the second waits for the first's upgrade (the schema lock) and
     * then finds the column gone, rather than failing to drop it again; both open, and the stream goes on.
     */
    @Test
    void twoOpensOfARoundTenSchemaAtOnceBothSucceedAndUpgradeItOnce() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        String oldScript;
        try (var in = PostgresEventStoreTest.class.getResourceAsStream("postgres-schema-round10.sql")) {
            oldScript = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("__SCHEMA__", config.schema());
        }
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement()) {
            st.execute(oldScript);
            roundTenAppend(c, config, "order-1", ExpectedVersion.noStream(), 2);
        }
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        List<java.util.concurrent.CompletableFuture<EventStore>> opens = new ArrayList<>();
        // Two threads of its own: the common pool may have a single one on a small machine.
        java.util.concurrent.ExecutorService openers = java.util.concurrent.Executors.newFixedThreadPool(2);
        for (int i = 0; i < 2; i++) {
            opens.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    start.await(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return PostgresTestStores.open(config);
            }, openers));
        }
        openers.shutdown();
        try (EventStore first = opens.get(0).get(30, TimeUnit.SECONDS);
             EventStore second = opens.get(1).get(30, TimeUnit.SECONDS)) {
            assertThat(hasLastVersionColumn(config)).isFalse();
            assertThat(first.append("order-1", ExpectedVersion.exactly(1), batch(1)).lastVersion()).isEqualTo(2);
            assertThat(second.append("order-1", ExpectedVersion.exactly(2), batch(1)).lastVersion()).isEqualTo(3);
        }
    }

    private static boolean upgradeWaitsForStreams(PostgresEventStoreConfig config) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND NOT granted"
                     + " AND relation = '" + config.schema() + ".es_streams'::regclass")) {
            rs.next();
            return rs.getLong(1) > 0;
        }
    }

    private static void roundTenAppend(Connection c, PostgresEventStoreConfig config, String stream,
                                       ExpectedVersion expected, int events) throws Exception {
        PostgresTestStores.callAppendThrough(c, config, "es_append_one", "es_append", false, stream, expected,
                batch(events));
    }

    private static long roundTenFunctions(PostgresEventStoreConfig config) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                     + " WHERE n.nspname = '" + config.schema() + "' AND p.proname IN ('es_append', 'es_append_one')")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static boolean hasLastVersionColumn(PostgresEventStoreConfig config) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM information_schema.columns WHERE table_schema = '"
                     + config.schema() + "' AND table_name = 'es_streams' AND column_name = 'last_version'")) {
            rs.next();
            return rs.getLong(1) == 1;
        }
    }

    /** A function dropped after open: the append's error says a function is missing (42883), not the tables. */
    @Test
    void aOneEventAppendWhoseFunctionIsMissingSaysSoAndHowToFixItRatherThanBlamingTheTables() throws Exception {
        PostgresEventStoreConfig config = PostgresSupport.freshConfig();
        try (EventStore store = PostgresTestStores.open(config)) {
            dropAppendEvent(config);
            assertThatThrownBy(() -> store.append("order-1", ExpectedVersion.any(), batch(1)))
                    .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_CONFIG);
                        assertThat(e.getMessage()).contains("append to stream 'order-1'", "es_append_event",
                                        "function it calls does not exist", config.schema(), "postgres-schema.sql",
                                        "createSchema=true")
                                .doesNotContain("tables are missing");
                    });
            assertThat(store.append("order-1", ExpectedVersion.any(), batch(2)).lastVersion())
                    .as("a batch still goes to es_append_events").isEqualTo(1);
        }
    }

    private static void dropAppendEvent(PostgresEventStoreConfig config) throws SQLException {
        try (Connection c = PostgresSupport.connect(); Statement st = c.createStatement()) {
            st.execute("DROP FUNCTION " + config.schema()
                    + ".es_append_event(TEXT, TEXT, BIGINT, UUID, TEXT, BYTEA, BYTEA, BOOLEAN, INT)");
        }
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
        assertThat(script).contains("CREATE TABLE IF NOT EXISTS my_app.es_events", "my_app.es_append_events(")
                .doesNotContain("__SCHEMA__");
    }
}
