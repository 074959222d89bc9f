-- Purchases split into one order per seller, their lines, status history, the idempotency
-- keys of purchase requests, and the order statistics kept by the per-status consumers.
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    purchase_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL REFERENCES users (id),
    -- A seller with orders cannot be deleted: its orders are the marketplace's records.
    seller_id TEXT NOT NULL REFERENCES sellers (id),
    status TEXT NOT NULL,
    delivery_name TEXT NOT NULL,
    delivery_address TEXT NOT NULL,
    -- The seller's warehouse when the order was placed: where the courier picks it up.
    origin_address TEXT NOT NULL,
    total_cents BIGINT NOT NULL,
    tracking_number TEXT,
    delivery_status TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX orders_by_seller ON orders (seller_id, created_at);
CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_by_purchase ON orders (purchase_id);

-- Product data is copied at purchase time: later edits or deletions do not change an order.
CREATE TABLE order_lines (
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (order_id, product_id)
);

CREATE TABLE order_status_history (
    id BIGSERIAL PRIMARY KEY,
    order_id TEXT NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    changed_by TEXT,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX order_status_history_by_order ON order_status_history (order_id, id);

-- A retried purchase with the same key answers the first result and buys nothing again.
CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL,
    key TEXT NOT NULL,
    -- The canonical JSON of the first request: a reused key with another request is refused.
    request TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Follow-up work of the per-status consumers: orders and amounts that reached each status.
CREATE TABLE order_statistics (
    status TEXT PRIMARY KEY,
    orders BIGINT NOT NULL,
    amount_cents BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
