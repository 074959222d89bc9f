-- Seed 003 §3-4: the communication credentials of each ally (a seller as a partner), encrypted,
-- one row per version. A change never updates a row: it adds the next version, so every change
-- stays visible (who, when, with which key) and two writes can never lose one silently.
-- `set` rows hold the encrypted user name and password (XChaCha20-Poly1305, bound to the ally
-- and the version, under the key `key_id`); `revoked` rows hold nothing. The latest version
-- is the ally's credentials. A rotation re-encrypts rows in place (`re_encrypted_at`).
CREATE TABLE ally_credentials (
    ally_id TEXT NOT NULL REFERENCES sellers (id) ON DELETE CASCADE,
    version BIGINT NOT NULL CHECK (version > 0),
    action TEXT NOT NULL CHECK (action IN ('set', 'revoked')),
    key_id TEXT,
    nonce BLOB,
    ciphertext BLOB,
    changed_by TEXT NOT NULL,
    changed_by_email TEXT NOT NULL,
    changed_by_role TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL,
    re_encrypted_at TIMESTAMP,
    PRIMARY KEY (ally_id, version),
    CHECK ((action = 'set') = (key_id IS NOT NULL AND nonce IS NOT NULL AND ciphertext IS NOT NULL)),
    CHECK (action = 'set' OR (key_id IS NULL AND nonce IS NULL AND ciphertext IS NULL))
);
-- A rotation looks for the rows under other keys than the current one.
CREATE INDEX ally_credentials_by_key ON ally_credentials (key_id);
