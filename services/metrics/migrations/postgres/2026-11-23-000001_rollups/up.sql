-- Rollups of the platform's events, one row per (hour, key), updated incrementally. Every
-- number derives from events only, so replaying the streams into an empty database rebuilds it.

-- Courier reports per courier and hour of delivery: deliveries, units, revenue and ingest lag.
CREATE TABLE courier_hourly (
    hour TIMESTAMP NOT NULL,
    courier_id BIGINT NOT NULL,
    reports BIGINT NOT NULL,
    units BIGINT NOT NULL,
    revenue_cents BIGINT NOT NULL,
    -- Milliseconds from the delivery time on the device to ingest's acceptance.
    lag_ms_sum BIGINT NOT NULL,
    lag_ms_max BIGINT NOT NULL,
    PRIMARY KEY (hour, courier_id)
);

-- Reported units and revenue per product and hour of delivery.
CREATE TABLE product_hourly (
    hour TIMESTAMP NOT NULL,
    sku TEXT NOT NULL,
    units BIGINT NOT NULL,
    revenue_cents BIGINT NOT NULL,
    PRIMARY KEY (hour, sku)
);

-- Delivery attempts per courier and hour: DELIVERED and NOT_DELIVERED status changes.
CREATE TABLE outcome_hourly (
    hour TIMESTAMP NOT NULL,
    courier_id BIGINT NOT NULL,
    delivered BIGINT NOT NULL,
    not_delivered BIGINT NOT NULL,
    PRIMARY KEY (hour, courier_id)
);

-- Every order's latest status and the times of its milestones.
CREATE TABLE orders (
    order_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    status_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP,
    dispatched_at TIMESTAMP,
    delivered_at TIMESTAMP
);
CREATE INDEX orders_by_creation ON orders (created_at);
CREATE INDEX orders_by_delivery ON orders (delivered_at);

-- Display names, as the latest event spelled them.
CREATE TABLE couriers (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
