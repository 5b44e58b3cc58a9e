-- Tributary outbox and inbox for PostgreSQL 12+. Apply with your migration tool, or let
-- OutboxSchema.create(...) run it (it is idempotent). Table names are the defaults; OutboxSchema.ddl(dialect, tables)
-- prints a copy with your names.

-- One row per event, written in the business transaction.
CREATE TABLE IF NOT EXISTS tributary_outbox (
    id              BIGSERIAL    PRIMARY KEY,     -- insertion order; for one key it is also commit order
    event_id        VARCHAR(36)  NOT NULL UNIQUE, -- UUIDv7, also in the event's headers
    topic           VARCHAR(249) NOT NULL,
    msg_key         BYTEA,                        -- NULL: no key, no ordering
    key_seq         BIGINT       NOT NULL,        -- per-key sequence in commit order (0 when keyless)
    event_type      VARCHAR(255) NOT NULL,
    payload         BYTEA,                        -- NULL: tombstone
    headers         BYTEA        NOT NULL,        -- OutboxHeadersCodec layout
    created_at      BIGINT       NOT NULL,        -- ms since epoch, when added
    status          SMALLINT     NOT NULL DEFAULT 0, -- 0 pending, 1 published, 2 failed (blocks its key), 3 skipped
    attempts        INT          NOT NULL DEFAULT 0,
    next_attempt_at BIGINT       NOT NULL,        -- ms since epoch; backoff after a failure
    last_error      VARCHAR(2000),
    published_at    BIGINT
);
-- Partial indexes hold only unfinished rows, so claiming and the per-key order check stay fast however many
-- published rows wait for the purge (and the planner needs no fresh statistics to pick them).
CREATE INDEX IF NOT EXISTS tributary_outbox_pending ON tributary_outbox (id) WHERE status = 0;
CREATE INDEX IF NOT EXISTS tributary_outbox_by_key ON tributary_outbox (msg_key, key_seq) WHERE status IN (0, 2);
CREATE INDEX IF NOT EXISTS tributary_outbox_done ON tributary_outbox (published_at) WHERE status IN (1, 3);
-- Failed rows only (normally none): the relay skips the keys they block without scanning those keys' pending rows.
CREATE INDEX IF NOT EXISTS tributary_outbox_failed ON tributary_outbox (msg_key) WHERE status = 2;

-- The per-key sequence. Its row is locked by the business transaction that adds an event for the key, so two
-- transactions adding events for one key are serialised and key_seq order is their commit order.
CREATE TABLE IF NOT EXISTS tributary_outbox_key (
    msg_key    BYTEA  PRIMARY KEY,
    seq        BIGINT NOT NULL,
    touched_at BIGINT NOT NULL
);

-- Wake the relay at commit (NOTIFY is delivered only when the transaction commits). A hint only: the relay also polls.
CREATE OR REPLACE FUNCTION tributary_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tributary_outbox', '');
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS tributary_outbox_notify ON tributary_outbox;
CREATE TRIGGER tributary_outbox_notify AFTER INSERT ON tributary_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION tributary_outbox_notify();

-- The inbox: one row per (consumer, event) applied, written in the handler's transaction.
CREATE TABLE IF NOT EXISTS tributary_inbox (
    consumer     VARCHAR(255) NOT NULL,
    event_id     VARCHAR(36)  NOT NULL,
    processed_at BIGINT       NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
CREATE INDEX IF NOT EXISTS tributary_inbox_processed ON tributary_inbox (processed_at);
