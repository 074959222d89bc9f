-- ecommerce's own subscription to the delivery service's webhooks (at most one row), and
-- when the delivery status shown on an order changed, so an older message arriving late
-- does not overwrite a newer status.
CREATE TABLE delivery_subscription (
    singleton TEXT PRIMARY KEY CHECK (singleton = 'delivery'),
    subscription_id TEXT NOT NULL,
    -- The `whsec_...` signing secret the delivery service showed once.
    secret TEXT NOT NULL,
    receiver_url TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
ALTER TABLE orders ADD COLUMN delivery_status_at TIMESTAMP;
