-- The claim query binds the state as a parameter, and a prepared statement's generic plan
-- cannot use an index whose WHERE names a literal state: PostgreSQL fell back to reading and
-- sorting every message at each claim, slower the longer the queue (docs/benchmarks.md). The
-- state is a key column instead, so any plan seeks straight to the due pending messages.
DROP INDEX webhook_messages_due;
CREATE INDEX webhook_messages_due ON webhook_messages (state, next_attempt_at);
