package io.tributary.outbox.internal;

import io.tributary.outbox.OutboxDialect;
import io.tributary.outbox.OutboxTables;
import java.util.Collections;

/**
 * Every SQL statement the outbox and inbox run, for one dialect and one set of table names. Built once per
 * {@code Outbox}/{@code OutboxRelay}/{@code Inbox}; immutable.
 *
 * <p>Status values: 0 pending, 1 published, 2 failed (blocks its key until an operator retries or skips it),
 * 3 skipped.
 */
public final class OutboxSql {

    public static final int PENDING = 0;
    public static final int PUBLISHED = 1;
    public static final int FAILED = 2;
    public static final int SKIPPED = 3;

    private static final String COLUMNS =
            "id, event_id, topic, msg_key, key_seq, event_type, payload, headers, created_at, attempts";

    public final OutboxDialect dialect;
    public final OutboxTables tables;

    /** PostgreSQL: one statement that bumps the key sequence and inserts the row. Other dialects: two. */
    public final String addKeyedSingle;
    public final String upsertKey;
    public final String insertKeyedFromKeyTable;
    public final String insertKeyless;
    public final String claim;
    public final String markPublished;
    public final String deletePublished;
    /** Moves a key's later pending rows behind its row in backoff: (until, key, key_seq, until). */
    public final String deferKeyBehind;
    public final String recordFailure;
    public final String purgePublished;
    public final String purgeKeys;
    public final String countByStatus;
    public final String oldestPending;
    public final String blockedKeys;
    public final String listByStatus;
    public final String retryById;
    public final String retryByKey;
    public final String skipById;
    public final String skipByKey;
    public final String inboxInsert;
    /**
     * PostgreSQL: inserts the inbox rows of consumer (parameter 1) for the event ids in the {@code varchar[]}
     * parameter 3, at processed time parameter 2, in array order, skipping those already there; returns the ids it
     * inserted. Empty on other dialects.
     */
    public final String inboxInsertArray;
    public final String inboxExists;
    public final String inboxPurge;
    /**
     * H2: {@code h2MergeKeys[b]} bumps the sequences of {@code 2^b} distinct keys in one {@code MERGE}; parameters per
     * key: the key, how many events it adds, the time. Run as an update, never read through {@code FINAL TABLE}: H2
     * retries such a query inside itself when it meets another transaction's pending first insert of one of its keys,
     * without undoing the keys it already bumped (a key seen at 10 came back as 35 after 100 ms), whereas the update
     * fails with 23505 and is undone whole. Empty on other dialects.
     */
    private final String[] h2MergeKeys;
    /** H2: {@code h2KeySequences[b]} reads the sequences of {@code 2^b} keys back. Empty on other dialects. */
    private final String[] h2KeySequences;
    /**
     * H2: {@code h2InsertKeyed[b]} inserts {@code 2^b} keyed rows whose key sequences the caller already knows; nine
     * parameters per row, in {@code insertColumns} order. Empty on other dialects.
     */
    private final String[] h2InsertKeyed;
    /** H2: {@code h2InboxInsert[b]} inserts {@code 2^b} inbox rows (consumer, event id, time each). Empty elsewhere. */
    private final String[] h2InboxInsert;

    public OutboxSql(OutboxDialect dialect, OutboxTables tables) {
        this.dialect = dialect;
        this.tables = tables;
        String t = tables.outbox();
        String k = tables.keys();
        String i = tables.inbox();
        String insertColumns = "(event_id, topic, msg_key, key_seq, event_type, payload, headers, created_at, next_attempt_at)";
        this.addKeyedSingle = dialect == OutboxDialect.POSTGRESQL
                ? "WITH k AS (INSERT INTO " + k + " (msg_key, seq, touched_at) VALUES (?, 1, ?) "
                        + "ON CONFLICT (msg_key) DO UPDATE SET seq = " + k + ".seq + 1, touched_at = EXCLUDED.touched_at "
                        + "RETURNING seq) "
                        + "INSERT INTO " + t + " " + insertColumns + " SELECT ?, ?, ?, k.seq, ?, ?, ?, ?, ? FROM k"
                : "";
        this.upsertKey = switch (dialect) {
            case POSTGRESQL -> "";
            case MARIADB -> "INSERT INTO " + k + " (msg_key, seq, touched_at) VALUES (?, 1, ?) "
                    + "ON DUPLICATE KEY UPDATE seq = seq + 1, touched_at = VALUES(touched_at)";
            case H2 -> "MERGE INTO " + k + " USING (VALUES (CAST(? AS VARBINARY(1024)), CAST(? AS BIGINT))) "
                    + "AS s(msg_key, touched_at) ON " + k + ".msg_key = s.msg_key "
                    + "WHEN MATCHED THEN UPDATE SET seq = " + k + ".seq + 1, touched_at = s.touched_at "
                    + "WHEN NOT MATCHED THEN INSERT (msg_key, seq, touched_at) VALUES (s.msg_key, 1, s.touched_at)";
        };
        this.insertKeyedFromKeyTable = "INSERT INTO " + t + " " + insertColumns
                + " SELECT ?, ?, msg_key, seq, ?, ?, ?, ?, ? FROM " + k + " WHERE msg_key = ?";
        // PostgreSQL: INSERT ... SELECT, not VALUES, so that pgjdbc with reWriteBatchedInserts does not fold a batch
        // into multi-row statements: the batch entry pgjdbc names in an error is then the event's own index.
        this.insertKeyless = "INSERT INTO " + t + " " + insertColumns
                + (dialect == OutboxDialect.POSTGRESQL ? " SELECT" : " VALUES (") + " ?, ?, NULL, 0, ?, ?, ?, ?, ?"
                + (dialect == OutboxDialect.POSTGRESQL ? "" : ")");
        String limit = dialect == OutboxDialect.MARIADB ? " LIMIT ?" : " FETCH FIRST ? ROWS ONLY";
        // Rows of a key blocked by a failed row are not claimed: they could not be published anyway, and with enough
        // of them behind the failed row every round would fill with them and starve the other keys. The probe uses
        // the small index of failed rows (tributary_outbox_failed) on PostgreSQL and MariaDB, and the per-key index
        // (msg_key, status, key_seq) on H2.
        this.claim = "SELECT " + COLUMNS + " FROM " + t + " WHERE status = " + PENDING + " AND next_attempt_at <= ?"
                + " AND NOT EXISTS (SELECT 1 FROM " + t + " f WHERE f.status = " + FAILED + " AND f.msg_key = " + t
                + ".msg_key)" + " ORDER BY id" + limit + " FOR UPDATE SKIP LOCKED";
        this.markPublished = "UPDATE " + t + " SET status = " + PUBLISHED + ", published_at = ?, attempts = attempts + 1,"
                + " last_error = NULL WHERE id = ?";
        this.deferKeyBehind = "UPDATE " + t + " SET next_attempt_at = ? WHERE msg_key = ? AND key_seq > ? AND status = "
                + PENDING + " AND next_attempt_at < ?";
        this.deletePublished = "DELETE FROM " + t + " WHERE id = ?";
        // status first: MariaDB evaluates SET assignments left to right, so later ones see earlier results.
        this.recordFailure = "UPDATE " + t + " SET status = CASE WHEN attempts + 1 >= ? THEN " + FAILED + " ELSE "
                + PENDING + " END, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?";
        this.purgePublished = dialect == OutboxDialect.MARIADB
                ? "DELETE FROM " + t + " WHERE status IN (" + PUBLISHED + ", " + SKIPPED + ") AND published_at < ? LIMIT ?"
                : "DELETE FROM " + t + " WHERE id IN (SELECT id FROM " + t + " WHERE status IN (" + PUBLISHED + ", "
                        + SKIPPED + ") AND published_at < ?" + limit + ")";
        this.purgeKeys = "DELETE FROM " + k + " WHERE touched_at < ? AND NOT EXISTS (SELECT 1 FROM " + t
                + " o WHERE o.msg_key = " + k + ".msg_key)";
        this.countByStatus = "SELECT status, COUNT(*) FROM " + t + " GROUP BY status";
        this.oldestPending = "SELECT MIN(created_at) FROM " + t + " WHERE status = " + PENDING;
        this.blockedKeys = "SELECT DISTINCT msg_key FROM " + t + " WHERE status = " + FAILED;
        this.listByStatus = "SELECT " + COLUMNS + ", status, last_error, next_attempt_at, published_at FROM " + t
                + " WHERE status = ? ORDER BY id" + limit;
        this.retryById = "UPDATE " + t + " SET status = " + PENDING + ", attempts = 0, next_attempt_at = ?, last_error = NULL"
                + " WHERE id = ? AND status = " + FAILED;
        this.retryByKey = "UPDATE " + t + " SET status = " + PENDING + ", attempts = 0, next_attempt_at = ?, last_error = NULL"
                + " WHERE msg_key = ? AND status = " + FAILED;
        this.skipById = "UPDATE " + t + " SET status = " + SKIPPED + ", published_at = ? WHERE id = ? AND status IN ("
                + PENDING + ", " + FAILED + ")";
        this.skipByKey = "UPDATE " + t + " SET status = " + SKIPPED + ", published_at = ? WHERE msg_key = ? AND status = "
                + FAILED;
        this.inboxInsert = switch (dialect) {
            case POSTGRESQL -> "INSERT INTO " + i + " (consumer, event_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
            case MARIADB -> "INSERT IGNORE INTO " + i + " (consumer, event_id, processed_at) VALUES (?, ?, ?)";
            case H2 -> "INSERT INTO " + i + " (consumer, event_id, processed_at) VALUES (?, ?, ?)";
        };
        // WITH ORDINALITY ... ORDER BY: rows are inserted (and their keys locked) in the array's order, which the
        // caller sorts so that two transactions with overlapping ids wait on each other instead of deadlocking.
        this.inboxInsertArray = dialect == OutboxDialect.POSTGRESQL
                ? "INSERT INTO " + i + " (consumer, event_id, processed_at) SELECT ?, u.id, ? FROM unnest(?::varchar[])"
                        + " WITH ORDINALITY AS u(id, n) ORDER BY u.n ON CONFLICT DO NOTHING RETURNING event_id"
                : "";
        this.h2MergeKeys = new String[dialect == OutboxDialect.H2 ? MAX_ROWS_BITS + 1 : 0];
        this.h2KeySequences = new String[h2MergeKeys.length];
        this.h2InsertKeyed = new String[h2MergeKeys.length];
        this.h2InboxInsert = new String[h2MergeKeys.length];
        for (int b = 0; b < h2MergeKeys.length; b++) {
            int n = 1 << b;
            h2MergeKeys[b] = "MERGE INTO " + k + " USING (VALUES "
                    + String.join(", ", Collections.nCopies(n,
                            "(CAST(? AS VARBINARY(1024)), CAST(? AS BIGINT), CAST(? AS BIGINT))"))
                    + ") AS s(msg_key, n, touched_at) ON " + k + ".msg_key = s.msg_key "
                    + "WHEN MATCHED THEN UPDATE SET seq = " + k + ".seq + s.n, touched_at = s.touched_at "
                    + "WHEN NOT MATCHED THEN INSERT (msg_key, seq, touched_at) VALUES (s.msg_key, s.n, s.touched_at)";
            h2KeySequences[b] = "SELECT msg_key, seq FROM " + k + " WHERE msg_key IN ("
                    + String.join(", ", Collections.nCopies(n, "?")) + ")";
            h2InsertKeyed[b] = "INSERT INTO " + t + " " + insertColumns + " VALUES "
                    + String.join(", ", Collections.nCopies(n, "(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
            h2InboxInsert[b] = "INSERT INTO " + i + " (consumer, event_id, processed_at) VALUES "
                    + String.join(", ", Collections.nCopies(n, "(?, ?, ?)"));
        }
        this.inboxExists = "SELECT 1 FROM " + i + " WHERE consumer = ? AND event_id = ?";
        this.inboxPurge = dialect == OutboxDialect.MARIADB
                ? "DELETE FROM " + i + " WHERE processed_at < ? LIMIT ?"
                : "DELETE FROM " + i + " WHERE (consumer, event_id) IN (SELECT consumer, event_id FROM " + i
                        + " WHERE processed_at < ?" + limit + ")";
    }

    /** The most rows (or keys) one of the H2 multi-row statements takes: {@code 2^MAX_ROWS_BITS}. */
    public static final int MAX_ROWS_BITS = 6;

    /**
     * H2: the {@code MERGE} that bumps the sequences of {@code n} distinct keys ({@code n} a power of two, at most
     * {@code 2^MAX_ROWS_BITS}); run it with {@code executeUpdate}, then read the keys' final values with
     * {@link #h2KeySequences}. A few texts cover every list, so H2's per-session query cache keeps them parsed.
     */
    public String h2MergeKeys(int n) {
        return h2MergeKeys[Integer.numberOfTrailingZeros(n)];
    }

    /** H2: reads {@code msg_key, seq} of {@code n} keys ({@code n} as for {@link #h2MergeKeys}). */
    public String h2KeySequences(int n) {
        return h2KeySequences[Integer.numberOfTrailingZeros(n)];
    }

    /** H2: the insert of {@code n} keyed rows with known sequences ({@code n} as for {@link #h2MergeKeys}). */
    public String h2InsertKeyed(int n) {
        return h2InsertKeyed[Integer.numberOfTrailingZeros(n)];
    }

    /** H2: the insert of {@code n} inbox rows ({@code n} as for {@link #h2MergeKeys}). */
    public String h2InboxInsert(int n) {
        return h2InboxInsert[Integer.numberOfTrailingZeros(n)];
    }

    /**
     * How many of {@code remaining} rows the next H2 multi-row statement takes: the largest power of two that fits,
     * at most {@code 2^MAX_ROWS_BITS}. A list goes in pieces such as 64, 64, 16, 2 (never padded: a repeated key
     * would be merged twice).
     */
    public static int h2Piece(int remaining) {
        return Math.min(1 << MAX_ROWS_BITS, Integer.highestOneBit(remaining));
    }

    /**
     * True when the dialect takes a whole id or key list as one array parameter ({@code = ANY(?)}): one statement
     * text whatever the batch size, so the server plans it once per connection instead of once per list length.
     */
    public boolean bindsArrays() {
        return dialect == OutboxDialect.POSTGRESQL;
    }

    /** PostgreSQL: marks the rows whose ids are in the {@code bigint[]} parameter 2 published at parameter 1. */
    public String markPublishedArray() {
        return "UPDATE " + tables.outbox() + " SET status = " + PUBLISHED + ", published_at = ?, attempts = attempts + 1,"
                + " last_error = NULL WHERE id = ANY(?)";
    }

    /** PostgreSQL: deletes the rows whose ids are in the {@code bigint[]} parameter. */
    public String deletePublishedArray() {
        return "DELETE FROM " + tables.outbox() + " WHERE id = ANY(?)";
    }

    /** PostgreSQL: minimum unfinished key sequence for each key in the {@code bytea[]} parameter. */
    public String minUnfinishedSeqArray() {
        return "SELECT msg_key, MIN(key_seq) FROM " + tables.outbox() + " WHERE status IN (" + PENDING + ", " + FAILED
                + ") AND msg_key = ANY(?) GROUP BY msg_key";
    }

    /**
     * The most ids or keys one listed statement ({@link #markPublished(int)}, {@link #deletePublished(int)},
     * {@link #minUnfinishedSeq(int)}) takes. H2 checks each row a statement finds against the whole {@code IN} list,
     * one comparison per entry, so a 500-id delete made 250,000 comparisons (5,000 ids at the top batch size:
     * 25 million); in chunks of 64 a row costs at most 64. MariaDB keeps long lists (fewer round trips).
     */
    public int listChunk() {
        return dialect == OutboxDialect.H2 ? 64 : 1_000;
    }

    /**
     * The length to bind a list of {@code n} ids or keys as: on H2 the next power of two (the list is padded by
     * repeating its last entry, which an {@code IN} list treats as the same set), so a few statement texts cover
     * every size and H2's per-session query cache keeps them parsed; elsewhere {@code n}.
     */
    public int listLength(int n) {
        return dialect == OutboxDialect.H2 && n > 1 ? Integer.highestOneBit(n - 1) << 1 : n;
    }

    /** Marks {@code n} rows published in one statement (ids bound as parameters 2..n+1; parameter 1 is the time). */
    public String markPublished(int n) {
        return "UPDATE " + tables.outbox() + " SET status = " + PUBLISHED + ", published_at = ?, attempts = attempts + 1,"
                + " last_error = NULL WHERE id IN (" + "?, ".repeat(n - 1) + "?)";
    }

    /** Deletes {@code n} published rows in one statement. */
    public String deletePublished(int n) {
        return "DELETE FROM " + tables.outbox() + " WHERE id IN (" + "?, ".repeat(n - 1) + "?)";
    }

    /** Minimum unfinished (pending or failed) key sequence for each of {@code n} keys. */
    public String minUnfinishedSeq(int n) {
        return "SELECT msg_key, MIN(key_seq) FROM " + tables.outbox() + " WHERE status IN (" + PENDING + ", " + FAILED
                + ") AND msg_key IN (" + "?, ".repeat(n - 1) + "?) GROUP BY msg_key";
    }

    /** The shipped DDL with the default table names replaced by this instance's. */
    public static String renameTables(String ddl, OutboxTables tables) {
        // The outbox name is a prefix of its derived names (_key, _notify, _pending, _by_key), so one replacement
        // renames them all consistently.
        return ddl.replace("tributary_outbox", tables.outbox()).replace("tributary_inbox", tables.inbox());
    }
}
