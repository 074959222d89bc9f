-- Messages waiting to be published to JetStream, written in the same transaction as the
-- change they announce (the transactional outbox).
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    subject TEXT NOT NULL,
    payload BYTEA NOT NULL,
    -- JSON object of extra NATS headers, e.g. {"KV-Operation":"DEL"}.
    headers TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL,
    -- A relay that took the row publishes it before this time; after it, another may.
    locked_until TIMESTAMP,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    published_at TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;
