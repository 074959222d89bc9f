-- Every change to a seller (PATCH /sellers/{id}, or the support SQL of seed 003 §2): who made
-- it, when, and each changed field with its old and new value, as a JSON object
-- (`{"owner_name": {"old": "Ana", "new": "Old-Wolf"}, "tags": {"old": [...], "new": [...]}}`).
-- Support and the administrator read it at GET /sellers/{id}/changes.
CREATE TABLE seller_changes (
    id BIGSERIAL PRIMARY KEY,
    seller_id TEXT NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    -- A user id, or `sql:<who>` for a change made by a support SQL file.
    changed_by TEXT NOT NULL,
    changed_by_email TEXT,
    changed_by_role TEXT,
    changes TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX seller_changes_by_seller ON seller_changes (seller_id, id);
