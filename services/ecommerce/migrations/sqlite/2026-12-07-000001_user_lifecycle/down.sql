DROP TABLE user_changes;
ALTER TABLE users DROP COLUMN access_change;
ALTER TABLE users DROP COLUMN token_generation;
ALTER TABLE users DROP COLUMN deleted_at;
ALTER TABLE users DROP COLUMN disabled_at;
