-- The user lifecycle (issue 24): an administrator disables, enables and deletes users, changes a
-- role and resets a password; users change their own password.
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;
-- A deleted user keeps a row without their personal data (email, name, address, password), so
-- that their orders and the audit trail still point at someone; no query finds it otherwise.
ALTER TABLE users ADD COLUMN deleted_at TIMESTAMP;
-- Raised by every change that must end the user's sessions; tokens carry the generation they
-- were issued with and older ones are refused (contracts::user_access).
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
-- The change that last raised it (contracts::user_access::AccessChange), NULL before the first.
ALTER TABLE users ADD COLUMN access_change TEXT;

-- Every change of the lifecycle, with who made it and when (GET /users/{id}/changes).
CREATE TABLE user_changes (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- disabled, enabled, deleted, role_changed, password_reset, password_changed
    action TEXT NOT NULL,
    -- A JSON object: {"role": {"old": "support", "new": "marketplace_admin"}} for a role change,
    -- {} when the action says it all.
    details TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_by_email TEXT,
    changed_by_role TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX user_changes_by_user ON user_changes (user_id, id);
