-- Tributary outbox and inbox for MariaDB 10.6+ / MySQL 8+ (InnoDB; SKIP LOCKED needs 10.6 / 8.0).
-- Apply with your migration tool, or let OutboxSchema.create(...) run it (it is idempotent).

CREATE TABLE IF NOT EXISTS tributary_outbox (
    id              BIGINT        NOT NULL AUTO_INCREMENT PRIMARY KEY,
    event_id        VARCHAR(36)   NOT NULL UNIQUE,
    topic           VARCHAR(249)  NOT NULL,
    msg_key         VARBINARY(1024),
    key_seq         BIGINT        NOT NULL,
    event_type      VARCHAR(255)  NOT NULL,
    payload         LONGBLOB,
    headers         BLOB          NOT NULL,
    created_at      BIGINT        NOT NULL,
    status          SMALLINT      NOT NULL DEFAULT 0,
    attempts        INT           NOT NULL DEFAULT 0,
    next_attempt_at BIGINT        NOT NULL,
    last_error      VARCHAR(2000),
    published_at    BIGINT,
    INDEX tributary_outbox_pending (status, id),
    INDEX tributary_outbox_by_key (msg_key, key_seq),
    -- lets the relay's claim skip keys blocked by a failed row (status 2) with one exact probe
    INDEX tributary_outbox_failed (status, msg_key)
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS tributary_outbox_key (
    msg_key    VARBINARY(1024) NOT NULL PRIMARY KEY,
    seq        BIGINT          NOT NULL,
    touched_at BIGINT          NOT NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS tributary_inbox (
    consumer     VARCHAR(255) NOT NULL,
    event_id     VARCHAR(36)  NOT NULL,
    processed_at BIGINT       NOT NULL,
    PRIMARY KEY (consumer, event_id),
    INDEX tributary_inbox_processed (processed_at)
) ENGINE=InnoDB;
