package io.tributary.eventstore.internal.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.tributary.core.CorruptionException;
import io.tributary.core.ErrorCode;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.NotFoundException;
import io.tributary.core.RetriableException;
import io.tributary.core.TributaryException;
import io.tributary.eventstore.AllSlice;
import io.tributary.eventstore.Direction;
import io.tributary.eventstore.DuplicateEventIdException;
import io.tributary.eventstore.EventData;
import io.tributary.eventstore.EventFilter;
import io.tributary.eventstore.EventStoreErrors;
import io.tributary.eventstore.ExpectedVersion;
import io.tributary.eventstore.PositionStrategy;
import io.tributary.eventstore.PostgresEventStoreConfig;
import io.tributary.eventstore.RecordedEvent;
import io.tributary.eventstore.Snapshot;
import io.tributary.eventstore.StreamDeletedException;
import io.tributary.eventstore.StreamInfo;
import io.tributary.eventstore.StreamMetadata;
import io.tributary.eventstore.StreamName;
import io.tributary.eventstore.WriteResult;
import io.tributary.eventstore.WrongExpectedVersionException;
import io.tributary.eventstore.internal.AbstractEventStore;
import io.tributary.eventstore.internal.HeaderCodec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * The PostgreSQL event store. Every append is one call of the {@code es_append_events} function, or of
 * {@code es_append_event} for a single event (one round trip, one commit; a second read-only call only when an event id is already stored); reads are single statements. See {@code postgres-schema.sql} for the tables and how global positions are
 * kept gap-safe. Thread-safe: every call borrows a pooled connection.
 *
 * <p>Every write runs under READ COMMITTED, whatever the DataSource's default: it takes the stream's advisory lock and
 * then reads the stream's last version and events in statements that start after the lock is granted, which must see
 * what the previous holder committed. Under REPEATABLE READ or SERIALIZABLE the transaction's snapshot would predate
 * the lock: a hard delete would miss an event committed while it waited, a soft delete would hide from a stale
 * version, an append would reuse a version. The owned pool is pinned to READ COMMITTED; the transactions of deletes,
 * metadata and schema creation set it themselves; the append functions refuse any other level (SQLSTATE
 * {@value #NOT_READ_COMMITTED}), and on a DataSource whose connections are not READ COMMITTED the store then wraps
 * every append in a transaction that sets it (two more round trips, paid only by such a DataSource).
 */
public final class PostgresEventStore extends AbstractEventStore {

    /** The advisory-lock class id (ASCII "tr" "sb"): keys our per-stream locks apart from the application's. */
    static final int LOCK_CLASS = 1953655138;

    /** The SQLSTATE the append functions raise when called outside READ COMMITTED (postgres-schema.sql). */
    static final String NOT_READ_COMMITTED = "TR001";

    /** Sets the isolation of the transaction it starts, which must be before its first query (its snapshot). */
    private static final String READ_COMMITTED = "SET TRANSACTION ISOLATION LEVEL READ COMMITTED";

    /**
     * The last version of the stream whose es_streams row is {@code alias}, -1 when it has no event: its last event's
     * version, one backward probe of the (stream_id, version) index. es_streams does not keep it, so that appends to
     * an existing stream do not write its row (see postgres-schema.sql).
     */
    private static String lastVersionOf(String schema, String alias) {
        return "coalesce((SELECT lv.version FROM " + schema + ".es_events lv WHERE lv.stream_id = " + alias
                + ".stream_id ORDER BY lv.version DESC LIMIT 1), -1)";
    }

    /** Which events of the stream row {@code s} reads may see: the filter of metadata and deletes. */
    private static String visible(String schema) {
        return " NOT s.tombstoned AND e.version >= s.deleted_before"
            + " AND (s.truncate_before IS NULL OR e.version >= s.truncate_before)"
            + " AND (s.max_count IS NULL OR e.version > " + lastVersionOf(schema, "s") + " - s.max_count)"
            + " AND (s.max_age_ms IS NULL OR e.recorded_at >= (extract(epoch FROM statement_timestamp()) * 1000)::BIGINT - s.max_age_ms) ";
    }

    /** What checkSchema requires; the functions by their full signatures, as in postgres-schema.sql. */
    private static final List<String> REQUIRED_TABLES = List.of("es_streams", "es_events", "es_snapshots",
            "es_position_counter");
    private static final List<String> REQUIRED_FUNCTIONS = List.of(
            "es_id_check(bigint,bigint,uuid[])",
            "es_append_events(text,text,bigint,uuid[],text[],bytea[],bytea[],boolean,integer)",
            "es_append_event(text,text,bigint,uuid,text,bytea,bytea,boolean,integer)",
            "es_resolve(text,bigint,uuid[])");

    private final DataSource dataSource;
    private final @Nullable HikariDataSource ownedPool;
    private final String schema;
    private final PositionStrategy strategy;
    private final String appendSql;
    private final String appendOneSql;
    private final String resolveSql;
    private final String gateSql;
    private final String visible;
    private final String streamStateSql;
    /**
     * Set once an append function refused the isolation of a connection of a caller's DataSource: from then on every
     * append sets READ COMMITTED in an explicit transaction. Never set for the owned pool, which is pinned.
     */
    private volatile boolean appendsSetIsolation;

    private PostgresEventStore(DataSource dataSource, @Nullable HikariDataSource ownedPool, PostgresEventStoreConfig config) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.schema = config.schema();
        this.strategy = config.positionStrategy();
        this.appendSql = "SELECT r_status, r_version, r_first, r_last, r_conflict_id FROM " + schema
                + ".es_append_events(?, ?, ?, ?, ?, ?, ?, ?, ?)";
        this.appendOneSql = "SELECT r_status, r_version, r_first, r_last, r_conflict_id FROM " + schema
                + ".es_append_event(?, ?, ?, ?, ?, ?, ?, ?, ?)";
        this.resolveSql = "SELECT r_status, r_version, r_first, r_last, r_conflict_id FROM " + schema
                + ".es_resolve(?, ?, ?)";
        this.visible = visible(schema);
        this.streamStateSql = "SELECT " + lastVersionOf(schema, "s") + ", s.soft_deleted, s.tombstoned FROM " + schema
                + ".es_streams s WHERE s.stream_name = ?";
        this.gateSql = strategy == PositionStrategy.TRANSACTION_ID
                ? "(pg_snapshot_xmin(pg_current_snapshot())::TEXT::BIGINT << 20)"
                : "(SELECT last + 1 FROM " + schema + ".es_position_counter WHERE id = 1)";
    }

    /** Opens a store with its own HikariCP pool. */
    public static PostgresEventStore open(PostgresEventStoreConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        hc.setUsername(config.user());
        if (!config.password().isEmpty()) {
            hc.setPassword(config.password());
        }
        hc.setMaximumPoolSize(config.maxPoolSize());
        hc.setPoolName("tributary-eventstore-" + config.schema());
        hc.setConnectionTimeout(10_000);
        // The appends and deletes must see what was committed before they got the stream's lock (see the class
        // comment); pinned here, so that a default_transaction_isolation in the URL or the role cannot change it.
        hc.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(hc);
        } catch (RuntimeException e) {
            throw new RetriableException(ErrorCode.UNAVAILABLE, "Cannot connect to PostgreSQL at " + config.jdbcUrl()
                    + " as '" + config.user() + "': " + e.getMessage() + ". Start the server or fix jdbcUrl/user/password.", e);
        }
        try {
            return open(pool, pool, config);
        } catch (RuntimeException e) {
            pool.close();
            throw e;
        }
    }

    /** Opens a store over a caller-managed DataSource (which the store will not close). */
    public static PostgresEventStore open(DataSource dataSource, PostgresEventStoreConfig config) {
        return open(dataSource, null, config);
    }

    private static PostgresEventStore open(DataSource ds, @Nullable HikariDataSource owned, PostgresEventStoreConfig config) {
        PostgresEventStore store = new PostgresEventStore(ds, owned, config);
        if (config.createSchema()) {
            store.createSchema();
        } else {
            store.checkSchema();
        }
        return store;
    }

    /** The DDL for {@code schema}, exactly what {@code createSchema} runs. */
    public static String schemaScript(String schema) {
        try (InputStream in = PostgresEventStore.class.getResourceAsStream("/io/tributary/eventstore/postgres-schema.sql")) {
            if (in == null) {
                throw new IllegalStateException("postgres-schema.sql is missing from the tributary-eventstore jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("__SCHEMA__", schema);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read postgres-schema.sql from the tributary-eventstore jar", e);
        }
    }

    private void createSchema() {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                // The second of two opens must see the first one's schema once it has the lock (the upgrade checks
                // for a column): its snapshot must not predate the lock.
                st.execute(READ_COMMITTED);
                // Two processes opening the same fresh schema at once would race on CREATE ... IF NOT EXISTS.
                st.execute("SELECT pg_advisory_xact_lock(" + LOCK_CLASS + ", 0)");
                st.execute(schemaScript(schema));
                c.commit();
            } catch (SQLException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw map("create its schema '" + schema + "'", e, null);
        }
    }

    /**
     * With createSchema=false, fails at open, naming what is missing, rather than at the first call that needs it:
     * a schema created by an older postgres-schema.sql has the tables but not es_append_event and es_append_events
     * (before round 11 they were es_append_one and es_append, which kept es_streams.last_version), and every append
     * would then fail with "function does not exist". {@code to_regclass}/{@code to_regprocedure} answer NULL
     * for a missing object (or schema) instead of raising, so one query lists everything that is absent.
     */
    private void checkSchema() {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < REQUIRED_TABLES.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("to_regclass('").append(schema).append('.')
                    .append(REQUIRED_TABLES.get(i)).append("') IS NULL");
        }
        for (String function : REQUIRED_FUNCTIONS) {
            sql.append(", to_regprocedure('").append(schema).append('.').append(function).append("') IS NULL");
        }
        List<String> missing = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql.toString())) {
            rs.next();
            for (int i = 0; i < REQUIRED_TABLES.size(); i++) {
                if (rs.getBoolean(i + 1)) {
                    missing.add("table " + schema + "." + REQUIRED_TABLES.get(i));
                }
            }
            for (int i = 0; i < REQUIRED_FUNCTIONS.size(); i++) {
                if (rs.getBoolean(REQUIRED_TABLES.size() + i + 1)) {
                    missing.add("function " + schema + "." + REQUIRED_FUNCTIONS.get(i));
                }
            }
        } catch (SQLException e) {
            throw map("check its schema '" + schema + "'", e, null);
        }
        if (!missing.isEmpty()) {
            throw new InvalidRequestException(ErrorCode.INVALID_CONFIG, "The PostgreSQL event store was opened with"
                    + " createSchema=false on schema '" + schema + "', which "
                    + (missing.size() == REQUIRED_TABLES.size() + REQUIRED_FUNCTIONS.size()
                            ? "has none of its tables and functions (it was never created)"
                            : "lacks " + String.join(", ", missing) + " (it was created by an older postgres-schema.sql)")
                    + ". Run this version's postgres-schema.sql (in the tributary-eventstore jar, or"
                    + " PostgresEventStore.schemaScript(\"" + schema + "\")) for that schema: every statement is"
                    + " idempotent and keeps the data. Or open the store once with createSchema=true"
                    + " (setting tributary.eventstore.postgres.create-schema=true), which runs it.");
        }
    }

    @Override
    public String backend() {
        return "postgres";
    }

    public PositionStrategy positionStrategy() {
        return strategy;
    }

    @Override
    public WriteResult append(String stream, ExpectedVersion expected, List<EventData> events) {
        String category = checkAppend(stream, events);
        ensureOpen();
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        byte[][] data = new byte[n][];
        byte[][] meta = new byte[n][];
        for (int i = 0; i < n; i++) {
            EventData e = events.get(i);
            ids[i] = e.eventId();
            types[i] = e.type();
            data[i] = e.dataUnsafe();
            meta[i] = HeaderCodec.encode(e.metadata());
        }
        // es_append_events does not catch a unique-index violation (that would cost every append a subtransaction):
        // the call rolls back and es_resolve tells an idempotent repeat from a conflict. No answer means the writer that
        // held one of these ids rolled back, so the append is tried again.
        for (int attempt = 1; ; attempt++) {
            try (Connection c = dataSource.getConnection()) {
                try {
                    boolean setIsolation = appendsSetIsolation;
                    try {
                        return answer(callAppend(c, setIsolation, stream, category, expected, ids, types, data, meta),
                                stream, expected);
                    } catch (SQLException e) {
                        if (!setIsolation && NOT_READ_COMMITTED.equals(e.getSQLState())) {
                            // A caller's DataSource that is not READ COMMITTED: the function refused before it took
                            // the lock or wrote anything. Every append from now on sets the isolation itself.
                            appendsSetIsolation = true;
                            return answer(callAppend(c, true, stream, category, expected, ids, types, data, meta),
                                    stream, expected);
                        }
                        throw e;
                    }
                } catch (SQLException e) {
                    if (!"23505".equals(e.getSQLState())) {
                        throw e;
                    }
                    try (PreparedStatement ps = c.prepareStatement(resolveSql)) {
                        ps.setString(1, stream);
                        ps.setLong(2, code(expected));
                        ps.setArray(3, c.createArrayOf("uuid", ids));
                        try (ResultSet rs = ps.executeQuery()) {
                            if (rs.next()) {
                                return answer(AppendRow.of(rs), stream, expected);
                            }
                        }
                    }
                    if (attempt >= 3) {
                        throw e;
                    }
                }
            } catch (SQLException e) {
                throw map("append to stream '" + stream + "'", e, stream);
            }
        }
    }

    /** What an append function or es_resolve answered, read before any commit so that it is answered after it. */
    private record AppendRow(int status, long version, long first, long last, @Nullable UUID conflictId) {
        static AppendRow of(ResultSet rs) throws SQLException {
            return new AppendRow(rs.getInt(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getObject(5, UUID.class));
        }
    }

    /**
     * One call of es_append_event (one event) or es_append_events on {@code c}: a statement of its own when
     * {@code setIsolation} is false (the connection is READ COMMITTED, or the function refuses it), else in a
     * transaction that sets READ COMMITTED first and commits after (rolled back on any failure).
     */
    private AppendRow callAppend(Connection c, boolean setIsolation, String stream, String category,
                                 ExpectedVersion expected, UUID[] ids, String[] types, byte[][] data, byte[][] meta)
            throws SQLException {
        if (!setIsolation) {
            return callAppend(c, stream, category, expected, ids, types, data, meta);
        }
        c.setAutoCommit(false);
        try {
            try (Statement st = c.createStatement()) {
                st.execute(READ_COMMITTED);
            }
            AppendRow row = callAppend(c, stream, category, expected, ids, types, data, meta);
            c.commit();
            return row;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }

    private AppendRow callAppend(Connection c, String stream, String category, ExpectedVersion expected, UUID[] ids,
                                 String[] types, byte[][] data, byte[][] meta) throws SQLException {
        int n = ids.length;
        // One event goes to es_append_event with scalar parameters: four arrays fewer to build here and to
        // parse on the server, which had made a one-event append cost the server more CPU than Axon's insert.
        try (PreparedStatement ps = c.prepareStatement(n == 1 ? appendOneSql : appendSql)) {
            ps.setString(1, stream);
            ps.setString(2, category);
            ps.setLong(3, code(expected));
            if (n == 1) {
                ps.setObject(4, ids[0]);
                ps.setString(5, types[0]);
                ps.setBytes(6, data[0]);
                ps.setBytes(7, meta[0]);
            } else {
                ps.setArray(4, c.createArrayOf("uuid", ids));
                ps.setArray(5, c.createArrayOf("text", types));
                ps.setArray(6, c.createArrayOf("bytea", data));
                ps.setArray(7, c.createArrayOf("bytea", meta));
            }
            ps.setBoolean(8, strategy == PositionStrategy.SERIALISED);
            ps.setInt(9, stream.hashCode());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return AppendRow.of(rs);
            }
        }
    }

    /** Turns an es_append_events or es_resolve row into the result or the exception it stands for. */
    private WriteResult answer(AppendRow row, String stream, ExpectedVersion expected) {
        int status = row.status();
        long version = row.version();
        return switch (status) {
            case 0, 1 -> {
                if (status == 0) {
                    signalAppended();
                }
                yield new WriteResult(stream, version, row.first(), row.last(), status == 1);
            }
            case 2 -> throw new WrongExpectedVersionException(stream, expected, version);
            case 3 -> throw new StreamDeletedException(stream);
            case 4 -> {
                UUID id = row.conflictId();
                throw new DuplicateEventIdException(stream, id, "which is already stored at another "
                        + "position (another stream or version, or the batch differs from the one written)");
            }
            default -> throw new IllegalStateException("es_append_events returned unknown status " + status);
        };
    }

    private static long code(ExpectedVersion expected) {
        return switch (expected) {
            case ExpectedVersion.Any a -> -2;
            case ExpectedVersion.NoStream n -> -1;
            case ExpectedVersion.StreamExists s -> -4;
            case ExpectedVersion.Exact x -> x.version();
        };
    }

    @Override
    public List<RecordedEvent> readStream(String stream, Direction direction, long fromVersion, int maxCount) {
        StreamName.validate(stream);
        checkMaxCount(maxCount);
        ensureOpen();
        boolean forward = direction == Direction.FORWARD;
        String sql = "SELECT s.tombstoned, x.version, x.position, x.event_id, x.event_type, x.data, x.metadata, x.recorded_at"
                + " FROM " + schema + ".es_streams s LEFT JOIN LATERAL ("
                + " SELECT e.version, e.position, e.event_id, e.event_type, e.data, e.metadata, e.recorded_at"
                + " FROM " + schema + ".es_events e WHERE e.stream_id = s.stream_id AND e.version "
                + (forward ? ">=" : "<=") + " ? AND " + visible
                + " ORDER BY e.version " + (forward ? "ASC" : "DESC") + " LIMIT ?) x ON TRUE"
                + " WHERE s.stream_name = ?";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, fromVersion);
            ps.setInt(2, maxCount);
            ps.setString(3, stream);
            List<RecordedEvent> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (rs.getBoolean(1)) {
                        throw new StreamDeletedException(stream);
                    }
                    long version = rs.getLong(2);
                    if (rs.wasNull()) {
                        break;
                    }
                    out.add(new RecordedEvent(stream, version, rs.getLong(3), rs.getObject(4, UUID.class),
                            rs.getString(5), rs.getBytes(6), HeaderCodec.decode(rs.getBytes(7)), rs.getLong(8)));
                }
            }
            return out;
        } catch (SQLException e) {
            throw map("read stream '" + stream + "'", e, stream);
        }
    }

    @Override
    public StreamInfo streamInfo(String stream) {
        StreamName.validate(stream);
        ensureOpen();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(streamStateSql)) {
            ps.setString(1, stream);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT);
                }
                return info(stream, rs.getLong(1), rs.getBoolean(2), rs.getBoolean(3));
            }
        } catch (SQLException e) {
            throw map("read the state of stream '" + stream + "'", e, stream);
        }
    }

    private static StreamInfo info(String stream, long last, boolean soft, boolean tomb) {
        if (tomb) {
            return new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.TOMBSTONED);
        }
        if (soft) {
            return new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.SOFT_DELETED);
        }
        if (last < 0) {
            return new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT);
        }
        return new StreamInfo(stream, last, StreamInfo.State.ACTIVE);
    }

    @Override
    public AllSlice readAll(long afterPosition, int maxCount, EventFilter filter) {
        checkMaxCount(maxCount);
        ensureOpen();
        StringBuilder where = new StringBuilder();
        List<Object> params = new ArrayList<>();
        if (filter.stream().isPresent()) {
            where.append(" AND e.stream_id = (SELECT stream_id FROM ").append(schema)
                    .append(".es_streams WHERE stream_name = ?)");
            params.add(filter.stream().get());
        }
        if (filter.category().isPresent()) {
            where.append(" AND e.category = ?");
            params.add(filter.category().get());
        }
        if (filter.streamPrefix().isPresent()) {
            where.append(" AND starts_with(s.stream_name, ?)");
            params.add(filter.streamPrefix().get());
        }
        if (!filter.eventTypes().isEmpty()) {
            where.append(" AND e.event_type = ANY (?)");
            params.add(filter.eventTypes().toArray(new String[0]));
        }
        String sql = "WITH g AS (SELECT " + gateSql + " AS gate)"
                + " SELECT g.gate, x.position, x.stream_name, x.version, x.event_id, x.event_type, x.data, x.metadata, x.recorded_at"
                + " FROM g LEFT JOIN LATERAL ("
                + " SELECT e.position, s.stream_name, e.version, e.event_id, e.event_type, e.data, e.metadata, e.recorded_at"
                + " FROM " + schema + ".es_events e JOIN " + schema + ".es_streams s ON s.stream_id = e.stream_id"
                + " WHERE e.position > ? AND e.position < g.gate AND " + visible + where
                + " ORDER BY e.position LIMIT ?) x ON TRUE";
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            ps.setLong(i++, afterPosition);
            for (Object p : params) {
                if (p instanceof String[] arr) {
                    ps.setArray(i++, c.createArrayOf("text", arr));
                } else {
                    ps.setObject(i++, p, Types.VARCHAR);
                }
            }
            ps.setInt(i, maxCount);
            List<RecordedEvent> out = new ArrayList<>();
            long gate = afterPosition + 1;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    gate = rs.getLong(1);
                    long position = rs.getLong(2);
                    if (rs.wasNull()) {
                        break;
                    }
                    out.add(new RecordedEvent(rs.getString(3), rs.getLong(4), position, rs.getObject(5, UUID.class),
                            rs.getString(6), rs.getBytes(7), HeaderCodec.decode(rs.getBytes(8)), rs.getLong(9)));
                }
            }
            if (out.size() == maxCount) {
                return new AllSlice(out, out.getLast().position(), false);
            }
            return new AllSlice(out, Math.max(afterPosition, gate - 1), true);
        } catch (SQLException e) {
            throw map("read $all after position " + afterPosition, e, null);
        }
    }

    @Override
    public long committedPosition() {
        ensureOpen();
        try (Connection c = dataSource.getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT " + gateSql + " - 1")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            throw map("read the committed position", e, null);
        }
    }

    @Override
    public void setStreamMetadata(String stream, StreamMetadata metadata) {
        String category = StreamName.categoryOf(StreamName.validate(stream));
        ensureOpen();
        inStreamTransaction(stream, "set the metadata of stream '" + stream + "'", c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema
                    + ".es_streams (stream_name, category, truncate_before, max_count, max_age_ms) VALUES (?, ?, ?, ?, ?)"
                    + " ON CONFLICT (stream_name) DO UPDATE SET truncate_before = excluded.truncate_before,"
                    + " max_count = excluded.max_count, max_age_ms = excluded.max_age_ms RETURNING tombstoned")) {
                ps.setString(1, stream);
                ps.setString(2, category);
                setNullableLong(ps, 3, metadata.truncateBefore());
                setNullableLong(ps, 4, metadata.maxCount());
                setNullableLong(ps, 5, metadata.maxAge().map(d -> OptionalLong.of(d.toMillis())).orElse(OptionalLong.empty()));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        throw new StreamDeletedException(stream);
                    }
                }
            }
            return null;
        });
    }

    private static void setNullableLong(PreparedStatement ps, int i, OptionalLong v) throws SQLException {
        if (v.isPresent()) {
            ps.setLong(i, v.getAsLong());
        } else {
            ps.setNull(i, Types.BIGINT);
        }
    }

    @Override
    public StreamMetadata streamMetadata(String stream) {
        StreamName.validate(stream);
        ensureOpen();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT truncate_before, max_count, max_age_ms FROM " + schema + ".es_streams WHERE stream_name = ?")) {
            ps.setString(1, stream);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return StreamMetadata.none();
                }
                long tb = rs.getLong(1);
                OptionalLong truncate = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(tb);
                long mc = rs.getLong(2);
                OptionalLong maxCount = rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(mc);
                long ma = rs.getLong(3);
                Optional<Duration> maxAge = rs.wasNull() ? Optional.empty() : Optional.of(Duration.ofMillis(ma));
                return new StreamMetadata(maxAge, maxCount, truncate);
            }
        } catch (SQLException e) {
            throw map("read the metadata of stream '" + stream + "'", e, stream);
        }
    }

    @Override
    public void deleteStream(String stream, ExpectedVersion expected) {
        StreamName.validate(stream);
        ensureOpen();
        inStreamTransaction(stream, "soft-delete stream '" + stream + "'", c -> {
            StreamInfo info = lockedInfo(c, stream);
            if (info.state() == StreamInfo.State.TOMBSTONED) {
                throw new StreamDeletedException(stream);
            }
            if (!expected.isMetBy(info.lastVersion())) {
                throw new WrongExpectedVersionException(stream, expected, info.lastVersion());
            }
            if (info.state() == StreamInfo.State.ACTIVE) {
                update(c, "UPDATE " + schema + ".es_streams s SET soft_deleted = TRUE, deleted_before = "
                        + lastVersionOf(schema, "s") + " + 1 WHERE s.stream_name = ?", stream);
                update(c, "DELETE FROM " + schema + ".es_snapshots WHERE stream_id = (SELECT stream_id FROM "
                        + schema + ".es_streams WHERE stream_name = ?)", stream);
            }
            return null;
        });
    }

    @Override
    public void tombstoneStream(String stream, ExpectedVersion expected) {
        String category = StreamName.categoryOf(StreamName.validate(stream));
        ensureOpen();
        inStreamTransaction(stream, "hard-delete stream '" + stream + "'", c -> {
            StreamInfo info = lockedInfo(c, stream);
            if (info.state() == StreamInfo.State.TOMBSTONED) {
                throw new StreamDeletedException(stream);
            }
            if (!expected.isMetBy(info.lastVersion())) {
                throw new WrongExpectedVersionException(stream, expected, info.lastVersion());
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema
                    + ".es_streams (stream_name, category, tombstoned) VALUES (?, ?, TRUE)"
                    + " ON CONFLICT (stream_name) DO UPDATE SET tombstoned = TRUE RETURNING stream_id")) {
                ps.setString(1, stream);
                ps.setString(2, category);
                long id;
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    id = rs.getLong(1);
                }
                // The events go for good (the GDPR case); the tombstone row keeps the name taken.
                try (PreparedStatement del = c.prepareStatement("DELETE FROM " + schema + ".es_events WHERE stream_id = ?")) {
                    del.setLong(1, id);
                    del.executeUpdate();
                }
                try (PreparedStatement del = c.prepareStatement("DELETE FROM " + schema + ".es_snapshots WHERE stream_id = ?")) {
                    del.setLong(1, id);
                    del.executeUpdate();
                }
            }
            return null;
        });
        signalAppended();
    }

    private StreamInfo lockedInfo(Connection c, String stream) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(streamStateSql)) {
            ps.setString(1, stream);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? info(stream, rs.getLong(1), rs.getBoolean(2), rs.getBoolean(3))
                        : new StreamInfo(stream, StreamInfo.NO_STREAM, StreamInfo.State.ABSENT);
            }
        }
    }

    private static void update(Connection c, String sql, String stream) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, stream);
            ps.executeUpdate();
        }
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        StreamName.validate(snapshot.stream());
        ensureOpen();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema
                + ".es_snapshots (stream_id, version, state_type, data, recorded_at)"
                + " SELECT s.stream_id, ?, ?, ?, ? FROM " + schema + ".es_streams s"
                + " WHERE s.stream_name = ? AND NOT s.tombstoned AND NOT s.soft_deleted AND " + lastVersionOf(schema, "s") + " >= ?"
                + " ON CONFLICT (stream_id, version) DO UPDATE SET state_type = excluded.state_type,"
                + " data = excluded.data, recorded_at = excluded.recorded_at")) {
            ps.setLong(1, snapshot.version());
            ps.setString(2, snapshot.type());
            ps.setBytes(3, snapshot.data());
            ps.setLong(4, snapshot.recordedAt());
            ps.setString(5, snapshot.stream());
            ps.setLong(6, snapshot.version());
            if (ps.executeUpdate() == 0) {
                StreamInfo info = streamInfo(snapshot.stream());
                if (info.state() == StreamInfo.State.TOMBSTONED) {
                    throw new StreamDeletedException(snapshot.stream());
                }
                throw new NotFoundException(EventStoreErrors.STREAM_NOT_FOUND, "Cannot store a snapshot of stream '"
                        + snapshot.stream() + "' at version " + snapshot.version() + ": the stream "
                        + (info.exists() ? "is only at version " + info.lastVersion() : "does not exist")
                        + ". Snapshot a version you have read.");
            }
        } catch (SQLException e) {
            throw map("store a snapshot of stream '" + snapshot.stream() + "'", e, snapshot.stream());
        }
    }

    @Override
    public Optional<Snapshot> latestSnapshot(String stream, long maxVersion) {
        StreamName.validate(stream);
        ensureOpen();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT p.version, p.state_type, p.data, p.recorded_at FROM " + schema + ".es_snapshots p JOIN "
                        + schema + ".es_streams s ON s.stream_id = p.stream_id"
                        + " WHERE s.stream_name = ? AND NOT s.tombstoned AND p.version >= s.deleted_before"
                        + " AND p.version <= ? ORDER BY p.version DESC LIMIT 1")) {
            ps.setString(1, stream);
            ps.setLong(2, maxVersion);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Snapshot(stream, rs.getLong(1), rs.getString(2), rs.getBytes(3), rs.getLong(4)));
            }
        } catch (SQLException e) {
            throw map("read a snapshot of stream '" + stream + "'", e, stream);
        }
    }

    @FunctionalInterface
    private interface TxBody {
        @Nullable Object run(Connection c) throws SQLException;
    }

    /** Runs {@code body} in a transaction holding the stream's append lock. */
    private void inStreamTransaction(String stream, String what, TxBody body) {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // Before the lock, which is this transaction's first query: see the class comment.
                try (Statement st = c.createStatement()) {
                    st.execute(READ_COMMITTED);
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_xact_lock(?, ?)")) {
                    ps.setInt(1, LOCK_CLASS);
                    ps.setInt(2, stream.hashCode());
                    ps.execute();
                }
                body.run(c);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        } catch (SQLException e) {
            throw map(what, e, stream);
        }
    }

    private TributaryException map(String what, SQLException e, @Nullable String stream) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("08") || state.startsWith("53") || state.startsWith("57P") || state.equals("40001")
                || state.equals("40P01") || e instanceof java.sql.SQLTransientException) {
            return unavailable(what, e);
        }
        if (state.equals("42883")) {
            // undefined_function: the schema's functions are older than this client (es_append_event and
            // es_append_events replaced es_append_one and es_append in round 11), or were dropped after open
            // (checkSchema catches the first at open when createSchema=false).
            return new InvalidRequestException(ErrorCode.INVALID_CONFIG, "The PostgreSQL event store could not " + what
                    + " because a function it calls does not exist (" + e.getMessage() + "): schema '" + schema
                    + "' was created by an older postgres-schema.sql, or the server is older than PostgreSQL 13."
                    + " Run this version's postgres-schema.sql for that schema (idempotent, keeps the data), or open"
                    + " the store once with createSchema=true.", e);
        }
        if (state.equals("42P01") || state.equals("3F000")) {
            return new InvalidRequestException(ErrorCode.INVALID_CONFIG, "The PostgreSQL event store could not " + what
                    + " because its tables are missing in schema '" + schema + "' (" + e.getMessage()
                    + "). Open it with createSchema=true, or run postgres-schema.sql for that schema.", e);
        }
        return new CorruptionException(ErrorCode.STORAGE_FAILURE, "The PostgreSQL event store failed to " + what
                + (stream == null ? "" : "") + ": [" + state + "] " + e.getMessage()
                + ". Nothing was changed by this call; check the PostgreSQL server log.", e);
    }

    @Override
    public void close() {
        if (markClosed() && ownedPool != null) {
            ownedPool.close();
        }
    }
}
