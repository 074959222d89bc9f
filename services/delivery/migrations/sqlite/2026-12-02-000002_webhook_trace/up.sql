-- The W3C trace of the event a message announces: its requests carry it on (`traceparent`).
ALTER TABLE webhook_messages ADD COLUMN traceparent TEXT;
