-- Tributary event store schema for PostgreSQL 13+ (pg_current_xact_id / pg_snapshot_xmin).
-- The library runs this on open when PostgresEventStoreConfig.createSchema is true (the default). To create it
-- yourself, replace __SCHEMA__ with your schema name and run it with psql; every statement is idempotent.
--
-- Global positions. A position is (commit << 20) + index of the event in its append. With the default strategy
-- TRANSACTION_ID, "commit" is the 64-bit id of the appending transaction; readers of $all only read positions
-- below (xmin of their snapshot) << 20, where xmin is the oldest transaction still running. Every transaction
-- below xmin has finished, so no event can later appear below that gate: readers never skip an event, however
-- commits interleave, and never wait for BIGSERIAL gaps to "time out". A per-stream advisory lock is taken before
-- the transaction id is assigned, so the events of one stream are ordered the same way by version and position.
-- With strategy SERIALISED, "commit" is a counter row updated inside the append, which serialises all appends
-- (positions are then dense, but concurrent appends cannot share one WAL flush).

CREATE SCHEMA IF NOT EXISTS __SCHEMA__;

-- A stream's last version is not stored: it is the version of its last event, read under the stream's advisory
-- lock from the (stream_id, version) index (one index probe in the statement that reads the stream row). Keeping it
-- in es_streams cost every append to an existing stream an UPDATE of that row (a heap tuple, WAL, pruning) that
-- Axon's single INSERT does not pay. Tombstones delete the events but answer before the version matters, and soft
-- deletes keep them, so the last event's version is the last version in every state that reads it.

CREATE TABLE IF NOT EXISTS __SCHEMA__.es_streams (
    stream_id       BIGSERIAL PRIMARY KEY,
    stream_name     TEXT    NOT NULL UNIQUE,
    category        TEXT    NOT NULL,
    truncate_before BIGINT,                         -- metadata truncateBefore; NULL: unset
    deleted_before  BIGINT  NOT NULL DEFAULT 0,     -- soft delete hides versions below this
    max_count       BIGINT,                         -- NULL: no limit
    max_age_ms      BIGINT,                         -- NULL: no limit
    soft_deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    tombstoned      BOOLEAN NOT NULL DEFAULT FALSE
);

-- Schemas made by a script before round 11 kept es_streams.last_version, updated by every append of their functions
-- es_append (a batch) and es_append_one (one event). The column is dropped rather than left to go stale, and those
-- two functions with it; the functions that replace them have other names (es_append_events, es_append_event).
-- So a client of an older version fails loudly rather than answering with an old version or soft-deleting below the
-- real last version: its appends find no function, its reads no column. And an older client that reopens with
-- createSchema=true (rolling back, or restarting during a rolling upgrade) recreates only its own functions, which
-- fail for want of the column: it cannot replace the functions this version calls. Checked first, so that an open
-- of an upgraded schema does not take the table's ACCESS EXCLUSIVE lock that ALTER TABLE takes even when there is
-- nothing to drop. The events keep the versions.
-- Placed right after es_streams is created, before any statement touches es_events (CREATE INDEX IF NOT EXISTS
-- takes a SHARE lock on es_events even when the index exists): an older client's append locks es_streams and then
-- es_events, so an upgrade that held es_events while it waited for es_streams' ACCESS EXCLUSIVE would deadlock with
-- it. Taken in the appends' order, the upgrade just waits for the appends in flight.
DO $mig$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = '__SCHEMA__.es_streams'::regclass
               AND attname = 'last_version' AND NOT attisdropped) THEN
        ALTER TABLE __SCHEMA__.es_streams DROP COLUMN last_version;
    END IF;
END
$mig$;
DROP FUNCTION IF EXISTS __SCHEMA__.es_append(TEXT, TEXT, BIGINT, UUID[], TEXT[], BYTEA[], BYTEA[], BOOLEAN, INT);
DROP FUNCTION IF EXISTS __SCHEMA__.es_append_one(TEXT, TEXT, BIGINT, UUID, TEXT, BYTEA, BYTEA, BOOLEAN, INT);

CREATE TABLE IF NOT EXISTS __SCHEMA__.es_events (
    position    BIGINT PRIMARY KEY,
    stream_id   BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    event_id    UUID   NOT NULL,
    event_type  TEXT   NOT NULL,
    category    TEXT   NOT NULL,
    data        BYTEA  NOT NULL,
    metadata    BYTEA  NOT NULL,
    recorded_at BIGINT NOT NULL,                    -- ms since the epoch, the server's clock
    CONSTRAINT es_events_stream_version UNIQUE (stream_id, version),
    CONSTRAINT es_events_event_id UNIQUE (event_id)
);

CREATE INDEX IF NOT EXISTS es_events_category_position ON __SCHEMA__.es_events (category, position);

CREATE TABLE IF NOT EXISTS __SCHEMA__.es_snapshots (
    stream_id   BIGINT NOT NULL,
    version     BIGINT NOT NULL,
    state_type  TEXT   NOT NULL,
    data        BYTEA  NOT NULL,
    recorded_at BIGINT NOT NULL,
    PRIMARY KEY (stream_id, version)
);

CREATE TABLE IF NOT EXISTS __SCHEMA__.es_position_counter (
    id   INT PRIMARY KEY CHECK (id = 1),
    last BIGINT NOT NULL
);
INSERT INTO __SCHEMA__.es_position_counter (id, last) VALUES (1, -1) ON CONFLICT (id) DO NOTHING;

-- One append, one round trip, one transaction (call it once per transaction: positions of a second append in the
-- same transaction would collide). Status: 0 written, 1 idempotent repeat, 2 wrong expected version (r_version holds
-- the actual version, -1 = no stream), 3 tombstoned, 4 event id already used elsewhere (r_conflict_id names it).
-- p_expected: -2 any, -1 no stream, -4 stream exists, >= 0 exact version.
-- Event ids are only looked up when something is off. A failed expectation is answered here (es_id_check). An id
-- that is already stored makes the insert fail with unique_violation (23505): the whole call rolls back, and the
-- caller asks es_resolve whether it was an idempotent repeat (1) or a conflict (4). Catching that error here would
-- wrap every insert in a subtransaction, which costs every append CPU and a subtransaction id for a rare case.
-- The common path is: lock, read the stream row with its last event's version, insert the events (and, for a new
-- stream, its row).
CREATE OR REPLACE FUNCTION __SCHEMA__.es_id_check(p_stream_id BIGINT, p_expected BIGINT, p_ids UUID[])
RETURNS TABLE (r_status INT, r_version BIGINT, r_first BIGINT, r_last BIGINT, r_conflict_id UUID)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_found BIGINT;
    v_min_v BIGINT;
    v_max_v BIGINT;
    v_min_p BIGINT;
    v_max_p BIGINT;
    v_min_d BIGINT;
    v_max_d BIGINT;
    v_min_s BIGINT;
    v_max_s BIGINT;
    v_other UUID;
BEGIN
    -- Dynamic SQL is planned for the table as it is now: a plan cached while the table was empty would scan it.
    EXECUTE 'SELECT count(ev.event_id), min(ev.version), max(ev.version), min(ev.position), max(ev.position),'
         || ' min(ev.version - x.i), max(ev.version - x.i), min(ev.stream_id), max(ev.stream_id),'
         || ' (array_agg(x.id ORDER BY x.i) FILTER (WHERE ev.event_id IS NOT NULL))[1]'
         || ' FROM unnest($1) WITH ORDINALITY AS x(id, i) LEFT JOIN __SCHEMA__.es_events ev ON ev.event_id = x.id'
       INTO v_found, v_min_v, v_max_v, v_min_p, v_max_p, v_min_d, v_max_d, v_min_s, v_max_s, v_other
       USING p_ids;
    IF v_found = 0 THEN
        RETURN;
    END IF;
    -- A repeat: every id stored, in this stream, at consecutive versions in batch order, where the expectation
    -- would have put the first one.
    IF v_found = cardinality(p_ids) AND v_min_s = p_stream_id AND v_max_s = p_stream_id AND v_min_d = v_max_d
       AND (p_expected = -2 OR (p_expected = -1 AND v_min_v = 0) OR (p_expected = -4 AND v_min_v > 0)
            OR (p_expected >= 0 AND v_min_v = p_expected + 1)) THEN
        RETURN QUERY SELECT 1, v_max_v, v_min_p, v_max_p, NULL::UUID;
        RETURN;
    END IF;
    RETURN QUERY SELECT 4, -1::BIGINT, NULL::BIGINT, NULL::BIGINT, v_other;
END
$fn$;

CREATE OR REPLACE FUNCTION __SCHEMA__.es_append_events(
    p_stream TEXT, p_category TEXT, p_expected BIGINT, p_ids UUID[], p_types TEXT[], p_data BYTEA[],
    p_meta BYTEA[], p_serialised BOOLEAN, p_lock_key INT,
    OUT r_status INT, OUT r_version BIGINT, OUT r_first BIGINT, OUT r_last BIGINT, OUT r_conflict_id UUID)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_stream_id BIGINT;
    v_last      BIGINT := -1;
    v_soft      BOOLEAN := FALSE;
    v_tomb      BOOLEAN := FALSE;
    v_effective BIGINT;
    v_n         INT := cardinality(p_ids);
    v_base      BIGINT;
    v_now       BIGINT;
    v_check     RECORD;
BEGIN
    -- The reads below must see what the lock's previous holder committed: a snapshot taken before the lock (the
    -- transaction's, under REPEATABLE READ or SERIALIZABLE) would not, and the append would reuse a version.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'TR001',
            MESSAGE = format('The Tributary append function must run under READ COMMITTED, not %s',
                             current_setting('transaction_isolation')),
            HINT = 'Run SET TRANSACTION ISOLATION LEVEL READ COMMITTED before the call, or give the store connections'
                || ' whose default is READ COMMITTED.';
    END IF;
    -- Serialise appends to this stream before a transaction id exists (see the header comment).
    PERFORM pg_advisory_xact_lock(1953655138, p_lock_key);
    -- Under the lock, in a statement that starts after it is granted: its snapshot sees the previous holder's events.
    SELECT s.stream_id, s.soft_deleted, s.tombstoned,
           coalesce((SELECT e.version FROM __SCHEMA__.es_events e WHERE e.stream_id = s.stream_id
                     ORDER BY e.version DESC LIMIT 1), -1)
      INTO v_stream_id, v_soft, v_tomb, v_last
      FROM __SCHEMA__.es_streams s WHERE s.stream_name = p_stream;
    IF v_tomb THEN
        r_status := 3; r_version := v_last; RETURN;
    END IF;
    v_effective := CASE WHEN v_stream_id IS NULL OR v_soft OR v_last < 0 THEN -1 ELSE v_last END;

    IF NOT (p_expected = -2 OR (p_expected = -1 AND v_effective = -1) OR (p_expected = -4 AND v_effective >= 0)
            OR (p_expected >= 0 AND v_effective = p_expected)) THEN
        -- A retry of an append that already succeeded fails its expectation: answer it as the repeat it is.
        SELECT * INTO v_check FROM __SCHEMA__.es_id_check(v_stream_id, p_expected, p_ids);
        IF FOUND THEN
            r_status := v_check.r_status;
            r_version := CASE WHEN v_check.r_status = 4 THEN v_effective ELSE v_check.r_version END;
            r_first := v_check.r_first; r_last := v_check.r_last; r_conflict_id := v_check.r_conflict_id;
            RETURN;
        END IF;
        r_status := 2; r_version := v_effective; RETURN;
    END IF;

    IF v_stream_id IS NULL THEN
        v_last := -1;
        INSERT INTO __SCHEMA__.es_streams (stream_name, category) VALUES (p_stream, p_category)
          RETURNING stream_id INTO v_stream_id;
    ELSIF v_soft THEN
        -- The only write to an existing stream's row: an append recreates a soft-deleted stream.
        UPDATE __SCHEMA__.es_streams SET soft_deleted = FALSE WHERE stream_id = v_stream_id;
    END IF;
    IF p_serialised THEN
        UPDATE __SCHEMA__.es_position_counter SET last = last + v_n WHERE id = 1 RETURNING last - v_n + 1 INTO v_base;
    ELSE
        v_base := (pg_current_xact_id()::TEXT::BIGINT) << 20;
    END IF;
    -- An id already stored raises unique_violation out of the call (see above: the caller resolves it).
    -- One clock reading per append (extract() is numeric arithmetic; per row it was a measurable part of a batch).
    v_now := (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT;
    INSERT INTO __SCHEMA__.es_events (position, stream_id, version, event_id, event_type, category, data, metadata, recorded_at)
      SELECT v_base + x.i - 1, v_stream_id, v_last + x.i, x.id, p_types[x.i], p_category, p_data[x.i], p_meta[x.i], v_now
        FROM unnest(p_ids) WITH ORDINALITY AS x(id, i);
    r_status := 0; r_version := v_last + v_n; r_first := v_base; r_last := v_base + v_n - 1;
END
$fn$;

-- es_append_events for the commonest call, one event, with scalar parameters: no arrays to encode in the client and
-- parse here, no unnest, and a single-row INSERT ... VALUES. It must answer exactly as es_append_events called with
-- one-element arrays does (the conformance tests run both: single-event appends come here, batches go to
-- es_append_events), so a change to one belongs in the other. The shared opening (lock, stream row, tombstone,
-- expectation) is written out twice on purpose: a common plpgsql function would be one more call per append, the cost
-- this function exists to cut; the test aOneEventAppendAnswersAndWritesExactlyAsTheBatchFunctionDoesWithOneEvent holds
-- the two copies to the same answers.
CREATE OR REPLACE FUNCTION __SCHEMA__.es_append_event(
    p_stream TEXT, p_category TEXT, p_expected BIGINT, p_id UUID, p_type TEXT, p_data BYTEA,
    p_meta BYTEA, p_serialised BOOLEAN, p_lock_key INT,
    OUT r_status INT, OUT r_version BIGINT, OUT r_first BIGINT, OUT r_last BIGINT, OUT r_conflict_id UUID)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_stream_id BIGINT;
    v_last      BIGINT := -1;
    v_soft      BOOLEAN := FALSE;
    v_tomb      BOOLEAN := FALSE;
    v_effective BIGINT;
    v_base      BIGINT;
    v_check     RECORD;
BEGIN
    -- The reads below must see what the lock's previous holder committed: a snapshot taken before the lock (the
    -- transaction's, under REPEATABLE READ or SERIALIZABLE) would not, and the append would reuse a version.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION USING ERRCODE = 'TR001',
            MESSAGE = format('The Tributary append function must run under READ COMMITTED, not %s',
                             current_setting('transaction_isolation')),
            HINT = 'Run SET TRANSACTION ISOLATION LEVEL READ COMMITTED before the call, or give the store connections'
                || ' whose default is READ COMMITTED.';
    END IF;
    -- Serialise appends to this stream before a transaction id exists (see the header comment).
    PERFORM pg_advisory_xact_lock(1953655138, p_lock_key);
    -- Under the lock, in a statement that starts after it is granted: its snapshot sees the previous holder's events.
    SELECT s.stream_id, s.soft_deleted, s.tombstoned,
           coalesce((SELECT e.version FROM __SCHEMA__.es_events e WHERE e.stream_id = s.stream_id
                     ORDER BY e.version DESC LIMIT 1), -1)
      INTO v_stream_id, v_soft, v_tomb, v_last
      FROM __SCHEMA__.es_streams s WHERE s.stream_name = p_stream;
    IF v_tomb THEN
        r_status := 3; r_version := v_last; RETURN;
    END IF;
    v_effective := CASE WHEN v_stream_id IS NULL OR v_soft OR v_last < 0 THEN -1 ELSE v_last END;

    IF NOT (p_expected = -2 OR (p_expected = -1 AND v_effective = -1) OR (p_expected = -4 AND v_effective >= 0)
            OR (p_expected >= 0 AND v_effective = p_expected)) THEN
        SELECT * INTO v_check FROM __SCHEMA__.es_id_check(v_stream_id, p_expected, ARRAY[p_id]);
        IF FOUND THEN
            r_status := v_check.r_status;
            r_version := CASE WHEN v_check.r_status = 4 THEN v_effective ELSE v_check.r_version END;
            r_first := v_check.r_first; r_last := v_check.r_last; r_conflict_id := v_check.r_conflict_id;
            RETURN;
        END IF;
        r_status := 2; r_version := v_effective; RETURN;
    END IF;

    IF v_stream_id IS NULL THEN
        v_last := -1;
        INSERT INTO __SCHEMA__.es_streams (stream_name, category) VALUES (p_stream, p_category)
          RETURNING stream_id INTO v_stream_id;
    ELSIF v_soft THEN
        UPDATE __SCHEMA__.es_streams SET soft_deleted = FALSE WHERE stream_id = v_stream_id;
    END IF;
    IF p_serialised THEN
        UPDATE __SCHEMA__.es_position_counter SET last = last + 1 WHERE id = 1 RETURNING last INTO v_base;
    ELSE
        v_base := (pg_current_xact_id()::TEXT::BIGINT) << 20;
    END IF;
    -- An id already stored raises unique_violation out of the call (the caller resolves it, as for es_append_events).
    INSERT INTO __SCHEMA__.es_events (position, stream_id, version, event_id, event_type, category, data, metadata, recorded_at)
      VALUES (v_base, v_stream_id, v_last + 1, p_id, p_type, p_category, p_data, p_meta,
              (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
    r_status := 0; r_version := v_last + 1; r_first := v_base; r_last := v_base;
END
$fn$;

-- After es_append_events failed with unique_violation (23505): was it a repeat of an append that is already stored
-- (status 1, with its version and positions) or a conflict (status 4, r_conflict_id names the id)? No row: none of
-- the ids is stored (the other writer rolled back); append again.
CREATE OR REPLACE FUNCTION __SCHEMA__.es_resolve(p_stream TEXT, p_expected BIGINT, p_ids UUID[])
RETURNS TABLE (r_status INT, r_version BIGINT, r_first BIGINT, r_last BIGINT, r_conflict_id UUID)
LANGUAGE sql AS $fn$
    SELECT c.* FROM __SCHEMA__.es_id_check((SELECT s.stream_id FROM __SCHEMA__.es_streams s WHERE s.stream_name = p_stream),
                                           p_expected, p_ids) c
$fn$;
