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

CREATE TABLE IF NOT EXISTS __SCHEMA__.es_streams (
    stream_id       BIGSERIAL PRIMARY KEY,
    stream_name     TEXT    NOT NULL UNIQUE,
    category        TEXT    NOT NULL,
    last_version    BIGINT  NOT NULL DEFAULT -1,    -- -1: no event written yet
    truncate_before BIGINT,                         -- metadata truncateBefore; NULL: unset
    deleted_before  BIGINT  NOT NULL DEFAULT 0,     -- soft delete hides versions below this
    max_count       BIGINT,                         -- NULL: no limit
    max_age_ms      BIGINT,                         -- NULL: no limit
    soft_deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    tombstoned      BOOLEAN NOT NULL DEFAULT FALSE
);

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
-- The common path is: lock, read the stream row, insert the events, insert or update the stream row.
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

-- Before 0.1 es_append returned a set (RETURNS TABLE); a function's result type cannot be replaced in place.
DO $mig$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = '__SCHEMA__' AND p.proname = 'es_append' AND p.proretset) THEN
        DROP FUNCTION __SCHEMA__.es_append(TEXT, TEXT, BIGINT, UUID[], TEXT[], BYTEA[], BYTEA[], BOOLEAN, INT);
    END IF;
END
$mig$;

CREATE OR REPLACE FUNCTION __SCHEMA__.es_append(
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
    -- Serialise appends to this stream before a transaction id exists (see the header comment).
    PERFORM pg_advisory_xact_lock(1953655138, p_lock_key);
    SELECT s.stream_id, s.last_version, s.soft_deleted, s.tombstoned INTO v_stream_id, v_last, v_soft, v_tomb
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
        -- A new stream's row is written once, already at its last version.
        v_last := -1;
        INSERT INTO __SCHEMA__.es_streams (stream_name, category, last_version) VALUES (p_stream, p_category, v_n - 1)
          RETURNING stream_id INTO v_stream_id;
    ELSE
        UPDATE __SCHEMA__.es_streams SET last_version = v_last + v_n, soft_deleted = FALSE WHERE stream_id = v_stream_id;
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

-- es_append for the commonest call, one event, with scalar parameters: no arrays to encode in the client and parse
-- here, no unnest, and a single-row INSERT ... VALUES. It must answer exactly as es_append called with one-element
-- arrays does (the conformance tests run both: single-event appends come here, batches go to es_append), so a change
-- to one belongs in the other. The shared opening (lock, stream row, tombstone, expectation) is written out twice on
-- purpose: a common plpgsql function would be one more call per append, the cost this function exists to cut; the test
-- aOneEventAppendAnswersAndWritesExactlyAsTheBatchFunctionDoesWithOneEvent holds the two copies to the same answers.
CREATE OR REPLACE FUNCTION __SCHEMA__.es_append_one(
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
    -- Serialise appends to this stream before a transaction id exists (see the header comment).
    PERFORM pg_advisory_xact_lock(1953655138, p_lock_key);
    SELECT s.stream_id, s.last_version, s.soft_deleted, s.tombstoned INTO v_stream_id, v_last, v_soft, v_tomb
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
        INSERT INTO __SCHEMA__.es_streams (stream_name, category, last_version) VALUES (p_stream, p_category, 0)
          RETURNING stream_id INTO v_stream_id;
    ELSE
        UPDATE __SCHEMA__.es_streams SET last_version = v_last + 1, soft_deleted = FALSE WHERE stream_id = v_stream_id;
    END IF;
    IF p_serialised THEN
        UPDATE __SCHEMA__.es_position_counter SET last = last + 1 WHERE id = 1 RETURNING last INTO v_base;
    ELSE
        v_base := (pg_current_xact_id()::TEXT::BIGINT) << 20;
    END IF;
    -- An id already stored raises unique_violation out of the call (the caller resolves it, as for es_append).
    INSERT INTO __SCHEMA__.es_events (position, stream_id, version, event_id, event_type, category, data, metadata, recorded_at)
      VALUES (v_base, v_stream_id, v_last + 1, p_id, p_type, p_category, p_data, p_meta,
              (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
    r_status := 0; r_version := v_last + 1; r_first := v_base; r_last := v_base;
END
$fn$;

-- After es_append failed with unique_violation (23505): was it a repeat of an append that is already stored
-- (status 1, with its version and positions) or a conflict (status 4, r_conflict_id names the id)? No row: none of
-- the ids is stored (the other writer rolled back); append again.
CREATE OR REPLACE FUNCTION __SCHEMA__.es_resolve(p_stream TEXT, p_expected BIGINT, p_ids UUID[])
RETURNS TABLE (r_status INT, r_version BIGINT, r_first BIGINT, r_last BIGINT, r_conflict_id UUID)
LANGUAGE sql AS $fn$
    SELECT c.* FROM __SCHEMA__.es_id_check((SELECT s.stream_id FROM __SCHEMA__.es_streams s WHERE s.stream_name = p_stream),
                                           p_expected, p_ids) c
$fn$;
