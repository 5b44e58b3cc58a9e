package io.tributary.outbox;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.outbox.internal.HeadersCodec;
import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes events into the outbox table <em>inside the caller's transaction</em>, so an event is stored if and only if
 * the business change commits. No framework needed: pass the {@link Connection} your transaction runs on. With
 * Spring, pass {@code DataSourceUtils.getConnection(dataSource)} inside a {@code @Transactional} method.
 *
 * <p><b>Ordering:</b> events with the same key get a per-key sequence in commit order. Adding an event locks its
 * key's sequence row until the transaction ends, so a second transaction adding an event for the same key waits for
 * the first (that is what makes commit order well defined). Keyless events take no lock and have no order.
 * <p><b>Headers:</b> the standard headers are filled in when missing: event id (UUIDv7), event type, correlation id
 * (the event's own id for an event that starts a flow), and the W3C {@code traceparent} of the current OpenTelemetry
 * span, if any.
 * <p><b>Thread-safety:</b> thread-safe; holds no connection of its own.
 */
public final class Outbox {

    /** Longest key accepted; longer keys are rejected before anything is written. */
    public static final int MAX_KEY_BYTES = 1024;

    private final OutboxTables tables;
    private final Map<OutboxDialect, OutboxSql> sqlByDialect = new ConcurrentHashMap<>(new EnumMap<>(OutboxDialect.class));

    public Outbox(OutboxTables tables) {
        this.tables = Objects.requireNonNull(tables, "tables");
    }

    /** An outbox on the default tables. */
    public Outbox() {
        this(OutboxTables.defaults());
    }

    public OutboxTables tables() {
        return tables;
    }

    /**
     * Adds an event in the connection's current transaction and returns its event id. The connection must not be in
     * auto-commit mode (else the event would not be atomic with your change):
     * {@link OutboxErrors#OUTBOX_NOT_IN_TRANSACTION}.
     */
    public UUID add(Connection connection, OutboxEvent event) {
        try {
            check(connection, event);
            byte[] key = event.key();
            OutboxSql sql = sql(connection);
            Headers headers = completeHeaders(event);
            UUID eventId = headers.eventId().orElseThrow();
            long now = System.currentTimeMillis();
            byte[] encoded = HeadersCodec.encode(headers);
            if (key == null) {
                try (PreparedStatement ps = connection.prepareStatement(sql.insertKeyless)) {
                    bindKeyless(ps, event, eventId.toString(), encoded, now);
                    ps.executeUpdate();
                }
            } else if (sql.dialect == OutboxDialect.POSTGRESQL) {
                try (PreparedStatement ps = connection.prepareStatement(sql.addKeyedSingle)) {
                    bindKeyedSingle(ps, event, eventId.toString(), encoded, now);
                    ps.executeUpdate();
                }
            } else {
                upsertKey(connection, sql, key, now);
                try (PreparedStatement ps = connection.prepareStatement(sql.insertKeyedFromKeyTable)) {
                    bindKeyedFromKeyTable(ps, event, eventId.toString(), encoded, now);
                    ps.executeUpdate();
                }
            }
            return eventId;
        } catch (SQLException e) {
            throw databaseError(event, e);
        }
    }

    private static void check(Connection connection, OutboxEvent event) throws SQLException {
        if (connection.getAutoCommit()) {
            throw new InvalidRequestException(OutboxErrors.OUTBOX_NOT_IN_TRANSACTION, "The connection is in "
                    + "auto-commit mode, so the outbox event for topic '" + event.topic() + "' would not commit "
                    + "atomically with your change; call connection.setAutoCommit(false) and commit yourself.");
        }
        byte[] key = event.key();
        if (key != null && key.length > MAX_KEY_BYTES) {
            throw new InvalidRequestException(OutboxErrors.OUTBOX_KEY_TOO_LONG, "Outbox event for topic '"
                    + event.topic() + "' has a " + key.length + "-byte key; keys are limited to " + MAX_KEY_BYTES
                    + " bytes. Use an id, not a document, as the key.");
        }
    }

    private static void bindKeyless(PreparedStatement ps, OutboxEvent event, String eventId, byte[] headers, long now)
            throws SQLException {
        ps.setString(1, eventId);
        ps.setString(2, event.topic());
        ps.setString(3, event.type());
        setBytes(ps, 4, event.payload());
        ps.setBytes(5, headers);
        ps.setLong(6, now);
        ps.setLong(7, now);
    }

    private static void bindKeyedSingle(PreparedStatement ps, OutboxEvent event, String eventId, byte[] headers,
                                        long now) throws SQLException {
        ps.setBytes(1, event.key());
        ps.setLong(2, now);
        ps.setString(3, eventId);
        ps.setString(4, event.topic());
        ps.setBytes(5, event.key());
        ps.setString(6, event.type());
        setBytes(ps, 7, event.payload());
        ps.setBytes(8, headers);
        ps.setLong(9, now);
        ps.setLong(10, now);
    }

    private static void bindKeyedFromKeyTable(PreparedStatement ps, OutboxEvent event, String eventId, byte[] headers,
                                              long now) throws SQLException {
        ps.setString(1, eventId);
        ps.setString(2, event.topic());
        ps.setString(3, event.type());
        setBytes(ps, 4, event.payload());
        ps.setBytes(5, headers);
        ps.setLong(6, now);
        ps.setLong(7, now);
        ps.setBytes(8, event.key());
    }

    private RetriableException databaseError(OutboxEvent event, SQLException e) {
        return new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not add the outbox event for topic '"
                + event.topic() + "' to table '" + tables.outbox() + "': " + e.getMessage()
                + " (SQLState " + e.getSQLState() + "); roll back and retry the transaction. If the table is missing,"
                + " create it with OutboxSchema.create(...) or your migration tool.", e);
    }

    /**
     * Adds {@code events} in the connection's current transaction and returns their event ids in list order: the
     * same rows, key sequences and headers as calling {@link #add} for each in list order, with each statement
     * prepared once for the whole list. On PostgreSQL the rows go in JDBC batches (a round trip for the keyed ones
     * and one for the keyless ones, whatever their number); on MariaDB and H2 each keyed event still takes its key's
     * sequence and its insert, on the prepared statements. Every event is checked (auto-commit, key length) before
     * anything is written. <b>Ordering</b> is that of {@link #add}: events of one key are numbered in list order, and
     * the transaction holds each key's sequence row until it ends; keyless events have no order (on PostgreSQL they
     * are inserted after the keyed ones). <b>Thread-safety:</b> as {@link #add}; the connection is the caller's.
     */
    public List<UUID> addAll(Connection connection, List<OutboxEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        OutboxEvent current = events.getFirst();
        try {
            for (OutboxEvent e : events) {
                current = e;
                check(connection, e);
            }
            OutboxSql sql = sql(connection);
            long now = System.currentTimeMillis();
            List<UUID> ids = new ArrayList<>(events.size());
            List<byte[]> encodedHeaders = new ArrayList<>(events.size());
            boolean anyKeyed = false;
            boolean anyKeyless = false;
            for (OutboxEvent e : events) {
                Headers headers = completeHeaders(e);
                ids.add(headers.eventId().orElseThrow());
                encodedHeaders.add(HeadersCodec.encode(headers));
                anyKeyed |= e.key() != null;
                anyKeyless |= e.key() == null;
            }
            boolean batch = sql.dialect == OutboxDialect.POSTGRESQL;
            try (PreparedStatement keyless = anyKeyless ? connection.prepareStatement(sql.insertKeyless) : null;
                 PreparedStatement keyed = anyKeyed ? connection.prepareStatement(
                         batch ? sql.addKeyedSingle : sql.insertKeyedFromKeyTable) : null;
                 PreparedStatement upsert = anyKeyed && !batch ? connection.prepareStatement(sql.upsertKey) : null) {
                for (int i = 0; i < events.size(); i++) {
                    current = events.get(i);
                    String eventId = ids.get(i).toString();
                    byte[] key = current.key();
                    if (key == null) {
                        bindKeyless(Objects.requireNonNull(keyless), current, eventId, encodedHeaders.get(i), now);
                        run(keyless, batch);
                    } else if (batch) {
                        bindKeyedSingle(Objects.requireNonNull(keyed), current, eventId, encodedHeaders.get(i), now);
                        keyed.addBatch();
                    } else {
                        upsertKey(Objects.requireNonNull(upsert), sql, key, now);
                        bindKeyedFromKeyTable(Objects.requireNonNull(keyed), current, eventId, encodedHeaders.get(i), now);
                        keyed.executeUpdate();
                    }
                }
                if (batch) {
                    // Each keyed statement bumps its key's sequence and inserts in one, and the statements of a batch
                    // run in order, so a key repeated in the list is numbered in list order as with add().
                    if (keyed != null) {
                        keyed.executeBatch();
                    }
                    if (keyless != null) {
                        keyless.executeBatch();
                    }
                }
            }
            return ids;
        } catch (SQLException e) {
            throw databaseError(current, e);
        }
    }

    private static void run(PreparedStatement ps, boolean batch) throws SQLException {
        if (batch) {
            ps.addBatch();
        } else {
            ps.executeUpdate();
        }
    }

    private static void upsertKey(Connection connection, OutboxSql sql, byte[] key, long now) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql.upsertKey)) {
            upsertKey(ps, sql, key, now);
        }
    }

    private static void upsertKey(PreparedStatement ps, OutboxSql sql, byte[] key, long now) throws SQLException {
        for (int attempt = 0; ; attempt++) {
            try {
                ps.setBytes(1, key);
                ps.setLong(2, now);
                ps.executeUpdate();
                return;
            } catch (SQLException e) {
                // H2's MERGE is not atomic against a concurrent first insert of the same key; the loser sees a
                // unique violation and simply merges again (H2 keeps the transaction usable after the error).
                if (attempt < 3 && "23505".equals(e.getSQLState()) && sql.dialect == OutboxDialect.H2) {
                    continue;
                }
                throw e;
            }
        }
    }

    private static void setBytes(PreparedStatement ps, int index, byte[] value) throws SQLException {
        if (value == null) {
            ps.setNull(index, Types.VARBINARY);
        } else {
            ps.setBytes(index, value);
        }
    }

    private OutboxSql sql(Connection connection) {
        // Detected per call (drivers answer from memory): one Outbox may serve pools of different databases.
        OutboxDialect dialect = OutboxDialect.detect(connection);
        return sqlByDialect.computeIfAbsent(dialect, d -> new OutboxSql(d, tables));
    }

    static Headers completeHeaders(OutboxEvent event) {
        Headers h = event.headers();
        String eventId = h.eventId().map(UUID::toString).orElseGet(() -> UuidV7.next().toString());
        h = h.withReplaced(StandardHeaders.EVENT_ID, eventId);
        h = h.withIfAbsent(StandardHeaders.EVENT_TYPE, event.type());
        h = h.withIfAbsent(StandardHeaders.CORRELATION_ID, eventId);
        if (h.traceparent().isEmpty()) {
            SpanContext span = Span.current().getSpanContext();
            if (span.isValid()) {
                h = h.with(StandardHeaders.TRACEPARENT, "00-" + span.getTraceId() + "-" + span.getSpanId() + "-"
                        + span.getTraceFlags().asHex());
            }
        }
        return h;
    }
}
