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
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
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
     * ones, whatever their number); on H2 the keyed events go in multi-row statements of up to 64 rows (one that bumps
     * up to 64 keys' sequences, one that reads them back, then one that inserts up to 64 rows); on MariaDB each keyed
     * event still takes its key's sequence and its insert, on the prepared statements. Every event is checked
     * (auto-commit, key length) before anything is written.
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
        Running running = new Running();
        try {
            OutboxSql sql = sql(connection);
            long now = System.currentTimeMillis();
            boolean batch = sql.dialect == OutboxDialect.POSTGRESQL;
            if (sql.dialect == OutboxDialect.H2 && !keyed.isEmpty()) {
                addKeyedInPieces(connection, sql, events, keyed, ids, encodedHeaders, now, running);
                keyed = List.of();
            }
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
                        running.positions = List.of(i);
                        upsertKey(Objects.requireNonNull(upsert), sql, Objects.requireNonNull(events.get(i).key()), now);
                        bindKeyedFromKeyTable(Objects.requireNonNull(keyedPs), events.get(i), eventId,
                                encodedHeaders.get(i), now);
                        keyedPs.executeUpdate();
                    }
                }
                if (batch && keyedPs != null) {
                    // Each keyed statement bumps its key's sequence and inserts in one, and the statements of a batch
                    // run in order, so a key repeated in the list is numbered in list order as with add().
                    running.positions = keyed;
                    keyedPs.executeBatch();
                }
                for (int i : keyless) {
                    bindKeyless(Objects.requireNonNull(keylessPs), events.get(i), ids.get(i).toString(),
                            encodedHeaders.get(i), now);
                    if (batch) {
                        keylessPs.addBatch();
                    } else {
                        running.positions = List.of(i);
                        keylessPs.executeUpdate();
                    }
                }
                if (batch && keylessPs != null) {
                    running.positions = keyless;
                    keylessPs.executeBatch();
                }
            }
            return ids;
        } catch (SQLException e) {
            // Both PostgreSQL batch statements are INSERT ... SELECT, never rewritten by pgjdbc, so the entry number
            // in its message is the statement's index in the batch.
            List<Integer> failing = running.positions;
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

    /** The list positions the running statement covers, in execution order (what an error names). */
    private static final class Running {
        List<Integer> positions = List.of();
    }

    /**
     * H2: the keyed events ({@code keyed}: list positions, sorted by key, a key's events in list order) in multi-row
     * statements of up to 64 rows. First every key's sequence is bumped by its number of events, up to 64 distinct
     * keys per {@code MERGE}, then each key's final sequence is read back (so a key's events are numbered in list order
     * after its earlier ones, as with {@link #add}); then the rows go in with their sequences, up to 64 per
     * {@code INSERT}. Per event that is a fraction of a statement instead of two (a {@code MERGE} and an
     * {@code INSERT ... SELECT} that looked the sequence up again): in the demo's profile each statement's own cost
     * (snapshot, savepoint, parameters) was about a seventh of the payment transaction. Keys are merged in sorted
     * order, so the sequence-row locks are taken in that order as before. A multi-row insert that fails has written
     * nothing (H2 undoes a failed statement whole), and its rows are then inserted one at a time, so the error names
     * the event at fault.
     */
    private static void addKeyedInPieces(Connection c, OutboxSql sql, List<OutboxEvent> events, List<Integer> keyed,
                                         List<UUID> ids, List<byte[]> encodedHeaders, long now, Running running)
            throws SQLException {
        // Distinct keys in sorted order, with how many events each adds (keyed is sorted, so a key's events are adjacent).
        List<byte[]> keys = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        // Where each key's events start in keyed, and keyed's size last: a failed merge names its keys' events.
        List<Integer> keyStarts = new ArrayList<>();
        for (int x = 0; x < keyed.size(); x++) {
            byte[] key = Objects.requireNonNull(events.get(keyed.get(x)).key());
            if (!keys.isEmpty() && Arrays.equals(keys.getLast(), key)) {
                counts.set(counts.size() - 1, counts.getLast() + 1);
            } else {
                keys.add(key);
                counts.add(1);
                keyStarts.add(x);
            }
        }
        keyStarts.add(keyed.size());
        long[] lastSeq = new long[keys.size()];
        for (int from = 0; from < keys.size(); ) {
            int n = OutboxSql.h2Piece(keys.size() - from);
            running.positions = keyed.subList(keyStarts.get(from), keyStarts.get(from + n));
            mergeKeys(c, sql, keys, counts, from, n, now, lastSeq);
            from += n;
        }
        // Each event's sequence: its key's events are numbered up to the key's final sequence, in list order.
        long[] seqOf = new long[events.size()];
        int k = 0;
        long next = lastSeq[0] - counts.get(0) + 1;
        byte[] current = keys.get(0);
        for (int i : keyed) {
            byte[] key = Objects.requireNonNull(events.get(i).key());
            if (!Arrays.equals(current, key)) {
                k++;
                current = keys.get(k);
                next = lastSeq[k] - counts.get(k) + 1;
            }
            seqOf[i] = next++;
        }
        for (int from = 0; from < keyed.size(); ) {
            int n = OutboxSql.h2Piece(keyed.size() - from);
            List<Integer> piece = keyed.subList(from, from + n);
            running.positions = piece;
            try {
                insertKeyedRows(c, sql, events, piece, ids, encodedHeaders, seqOf, now);
            } catch (SQLException pieceFailed) {
                if (n == 1 || !undoesOnlyTheStatement(pieceFailed)) {
                    throw pieceFailed;
                }
                // A data error, undone whole by H2: insert its rows one at a time, so the one that fails is named.
                for (int i : piece) {
                    running.positions = List.of(i);
                    insertKeyedRows(c, sql, events, List.of(i), ids, encodedHeaders, seqOf, now);
                }
            }
            from += n;
        }
    }

    /**
     * True for a data error (SQLSTATE class 22, data exception, or 23, integrity constraint violation), after which
     * H2 has undone just the failed statement and the transaction goes on. Any other error may have ended the
     * transaction (a deadlock, 40001, rolls it back whole, with the key sequences bumped before), and rows written
     * after it would land in a fresh transaction: it is rethrown instead.
     */
    private static boolean undoesOnlyTheStatement(SQLException e) {
        String state = e.getSQLState();
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    /** Bumps the sequences of {@code keys[from, from + n)} and stores each one's final sequence in {@code lastSeq}. */
    private static void mergeKeys(Connection c, OutboxSql sql, List<byte[]> keys, List<Integer> counts, int from,
                                  int n, long now, long[] lastSeq) throws SQLException {
        try (PreparedStatement merge = c.prepareStatement(sql.h2MergeKeys(n))) {
            int p = 1;
            for (int j = from; j < from + n; j++) {
                merge.setBytes(p++, keys.get(j));
                merge.setLong(p++, counts.get(j));
                merge.setLong(p++, now);
            }
            for (int attempt = 0; ; attempt++) {
                try {
                    merge.executeUpdate();
                    break;
                } catch (SQLException e) {
                    // H2's MERGE is not atomic against another transaction's first insert of one of its keys: it
                    // waits for that transaction, then fails with a unique violation, and H2 undoes the statement
                    // whole (every key of it), so merging again bumps each key once. Not read through FINAL TABLE:
                    // H2 retried that query inside itself without undoing the keys it had bumped.
                    if (attempt < 3 && "23505".equals(e.getSQLState())) {
                        continue;
                    }
                    throw e;
                }
            }
        }
        Map<ByteBuffer, Long> finalSeq = new HashMap<>();
        try (PreparedStatement read = c.prepareStatement(sql.h2KeySequences(n))) {
            for (int j = from; j < from + n; j++) {
                read.setBytes(j - from + 1, keys.get(j));
            }
            try (ResultSet rs = read.executeQuery()) {
                while (rs.next()) {
                    finalSeq.put(ByteBuffer.wrap(rs.getBytes(1)), rs.getLong(2));
                }
            }
        }
        for (int j = from; j < from + n; j++) {
            Long seq = finalSeq.get(ByteBuffer.wrap(keys.get(j)));
            if (seq == null) {
                throw new SQLException("the key sequence table has no row for key " + (j + 1) + " of " + keys.size()
                        + " right after merging it", "XX000");
            }
            lastSeq[j] = seq;
        }
    }

    private static void insertKeyedRows(Connection c, OutboxSql sql, List<OutboxEvent> events, List<Integer> rows,
                                        List<UUID> ids, List<byte[]> encodedHeaders, long[] seqOf, long now)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.h2InsertKeyed(rows.size()))) {
            int p = 1;
            for (int i : rows) {
                OutboxEvent e = events.get(i);
                ps.setString(p++, ids.get(i).toString());
                ps.setString(p++, e.topic());
                ps.setBytes(p++, e.key());
                ps.setLong(p++, seqOf[i]);
                ps.setString(p++, e.type());
                setBytes(ps, p++, e.payload());
                ps.setBytes(p++, encodedHeaders.get(i));
                ps.setLong(p++, now);
                ps.setLong(p++, now);
            }
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
