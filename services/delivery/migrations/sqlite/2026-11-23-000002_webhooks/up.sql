-- Webhook subscriptions, one message per (subscription, delivery event), and every attempt.
CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    -- The user or service that registered it; only they and admins see it.
    owner_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Comma-separated delivery statuses it wants.
    statuses TEXT NOT NULL,
    description TEXT,
    -- `whsec_...`; shown once at creation and rotation.
    secret TEXT NOT NULL,
    -- After a rotation the old secret also signs until `previous_secret_until`.
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_subscriptions_by_owner ON webhook_subscriptions (owner_id, created_at);

CREATE TABLE webhook_messages (
    -- The `webhook-id` header, the same on every retry so receivers can dedupe.
    id TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    -- The delivery event it announces: one message per subscription and event, ever.
    event_id TEXT NOT NULL,
    delivery_id TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    -- pending, succeeded or failed.
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    -- Reserved by a dispatcher until then (several replicas may dispatch).
    locked_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    UNIQUE (subscription_id, event_id)
);
CREATE INDEX webhook_messages_due ON webhook_messages (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_messages_by_subscription ON webhook_messages (subscription_id, created_at);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    -- Absent when no answer came (connection refused, timeout).
    status_code INTEGER,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_by_subscription ON webhook_attempts (subscription_id, id);
