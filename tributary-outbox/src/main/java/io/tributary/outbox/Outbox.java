package io.tributary.outbox;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.tributary.core.Headers;
import io.tributary.core.InvalidRequestException;
import io.tributary.core.RetriableException;
import io.tributary.core.StandardHeaders;
import io.tributary.core.UuidV7;
import io.tributary.outbox.internal.HeadersCodec;
import io.tributary.outbox.internal.JdbcFailure;
import io.tributary.outbox.internal.OutboxSql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

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
        Headers headers = completeHeaders(event);
        UUID eventId = headers.eventId().orElseThrow();
        try {
            check(connection, event);
            byte[] key = event.key();
            OutboxSql sql = sql(connection);
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
            throw databaseError(event, eventId.toString(), e);
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

    /** {@code which} names the event (its id, and where it was in a list) when known. */
    private RetriableException databaseError(OutboxEvent event, @Nullable String which, SQLException e) {
        return new RetriableException(OutboxErrors.OUTBOX_DATABASE_ERROR, "Could not add the outbox event "
                + (which == null ? "" : which + " ") + "for topic '" + event.topic() + "' to table '" + tables.outbox()
                + "': " + JdbcFailure.reason(e) + "; roll back and retry the transaction. If the table is missing,"
                + " create it with OutboxSchema.create(...) or your migration tool.", e);
    }

    /**
     * Adds {@code events} in the connection's current transaction and returns their event ids in list order: the
     * same rows, key sequences and headers as calling {@link #add} for each, with each statement prepared once for the
     * whole list. On PostgreSQL the rows go in JDBC batches (a round trip for the keyed ones and one for the keyless
     * ones, whatever their number); on MariaDB and H2 each keyed event still takes its key's sequence and its insert,
     * on the prepared statements. Every event is checked (auto-commit, key length) before anything is written.
     * <b>Ordering:</b> events of one key are numbered in list order, as with {@link #add}. The keyed events are
     * written grouped by key, keys in sorted (unsigned byte) order, so the transaction takes its keys' sequence-row
     * locks in that order: two transactions sharing keys wait for each other instead of deadlocking, whatever the
     * order of their lists. Keyless events have no order and are written after the keyed ones. The transaction holds
     * each key's sequence row until it ends. A database error names the event at fault when the driver tells which
     * batch entry failed. <b>Thread-safety:</b> as {@link #add}; the connection is the caller's.
     */
    public List<UUID> addAll(Connection connection, List<OutboxEvent> events) {
        if (events.isEmpty()) {
            return List.of();
        }
        for (OutboxEvent e : events) {
            try {
                check(connection, e);
            } catch (SQLException ex) {
                throw databaseError(e, null, ex);
            }
        }
        List<UUID> ids = new ArrayList<>(events.size());
        List<byte[]> encodedHeaders = new ArrayList<>(events.size());
        List<Integer> keyed = new ArrayList<>();
        List<Integer> keyless = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            OutboxEvent e = events.get(i);
            Headers headers = completeHeaders(e);
            ids.add(headers.eventId().orElseThrow());
            encodedHeaders.add(HeadersCodec.encode(headers));
            (e.key() == null ? keyless : keyed).add(i);
        }
        // Stable sort: a key's events keep their list order, so its sequence numbers still follow the list.
        keyed.sort(Comparator.comparing((Integer i) -> Objects.requireNonNull(events.get(i).key()),
                Arrays::compareUnsigned));
        // The list positions the running statement or batch covers, in execution order: what an error names. Empty
        // until the first statement runs (an error then is about the table or connection, not an event).
        List<Integer> failing = List.of();
        try {
            OutboxSql sql = sql(connection);
            long now = System.currentTimeMillis();
            boolean batch = sql.dialect == OutboxDialect.POSTGRESQL;
            try (PreparedStatement keylessPs = keyless.isEmpty() ? null : connection.prepareStatement(sql.insertKeyless);
                 PreparedStatement keyedPs = keyed.isEmpty() ? null : connection.prepareStatement(
                         batch ? sql.addKeyedSingle : sql.insertKeyedFromKeyTable);
                 PreparedStatement upsert = keyed.isEmpty() || batch ? null : connection.prepareStatement(sql.upsertKey)) {
                for (int i : keyed) {
                    String eventId = ids.get(i).toString();
                    if (batch) {
                        bindKeyedSingle(Objects.requireNonNull(keyedPs), events.get(i), eventId, encodedHeaders.get(i), now);
                        keyedPs.addBatch();
                    } else {
                        failing = List.of(i);
                        upsertKey(Objects.requireNonNull(upsert), sql, Objects.requireNonNull(events.get(i).key()), now);
                        bindKeyedFromKeyTable(Objects.requireNonNull(keyedPs), events.get(i), eventId,
                                encodedHeaders.get(i), now);
                        keyedPs.executeUpdate();
                    }
                }
                if (batch && keyedPs != null) {
                    // Each keyed statement bumps its key's sequence and inserts in one, and the statements of a batch
                    // run in order, so a key repeated in the list is numbered in list order as with add().
                    failing = keyed;
                    keyedPs.executeBatch();
                }
                for (int i : keyless) {
                    bindKeyless(Objects.requireNonNull(keylessPs), events.get(i), ids.get(i).toString(),
                            encodedHeaders.get(i), now);
                    if (batch) {
                        keylessPs.addBatch();
                    } else {
                        failing = List.of(i);
                        keylessPs.executeUpdate();
                    }
                }
                if (batch && keylessPs != null) {
                    failing = keyless;
                    keylessPs.executeBatch();
                }
            }
            return ids;
        } catch (SQLException e) {
            // Both PostgreSQL batch statements are INSERT ... SELECT, never rewritten by pgjdbc, so the entry number
            // in its message is the statement's index in the batch.
            if (failing.isEmpty()) {
                throw databaseError(events.getFirst(), "(none of the " + events.size() + " events in the list was "
                        + "written yet)", e);
            }
            int entry = JdbcFailure.failedEntry(e, failing.size(), true);
            if (entry >= 0) {
                int i = failing.get(entry);
                throw databaseError(events.get(i), ids.get(i) + " (event " + (i + 1) + " of " + events.size()
                        + " in the list)", e);
            }
            throw databaseError(events.get(failing.getFirst()), "(one of a batch of " + failing.size() + " of the "
                    + events.size() + " events in the list; the driver did not say which, the batch's first is "
                    + ids.get(failing.getFirst()) + ")", e);
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
