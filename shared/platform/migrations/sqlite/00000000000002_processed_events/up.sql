-- Events a consumer has already handled, so a redelivered event changes nothing twice.
CREATE TABLE processed_events (
    consumer TEXT NOT NULL,
    event_id TEXT NOT NULL,
    processed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (consumer, event_id)
);
