-- Failed log-ins per account (the normalized email tried) and per client address, shared by
-- every replica so that guessing passwords is slowed down everywhere at once. A row counts the
-- attempts not yet known to have succeeded; `blocked_until` refuses log-ins of the key until
-- then. Rows untouched for the forget period (and not blocked) are deleted by a sweeper.
CREATE TABLE login_throttle (
    scope TEXT NOT NULL CHECK (scope IN ('account', 'address')),
    subject TEXT NOT NULL,
    failures BIGINT NOT NULL,
    blocked_until TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, subject)
);
CREATE INDEX login_throttle_updated_at ON login_throttle (updated_at);
