-- Couriers (seed 000), deliveries with their products and status history (seed 004).
CREATE TABLE couriers (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Inactive couriers keep their deliveries but get no new ones.
    active BOOLEAN NOT NULL DEFAULT TRUE
);
INSERT INTO couriers (id, name) VALUES
    (101, 'María López'),
    (102, 'Carlos García'),
    (103, 'Ana Fernández'),
    (104, 'Juan Martínez'),
    (105, 'Laura Sánchez'),
    (106, 'Pedro Gómez'),
    (107, 'Elena Rodríguez'),
    (108, 'Jorge Pérez'),
    (109, 'Sofía Morales'),
    (110, 'Daniel Castillo');

CREATE TABLE deliveries (
    id TEXT PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    -- One delivery per ecommerce order: creating it again returns this one.
    foreign_order_id TEXT NOT NULL UNIQUE,
    courier_id BIGINT NOT NULL REFERENCES couriers (id),
    status TEXT NOT NULL,
    origin_address TEXT NOT NULL,
    destination_name TEXT NOT NULL,
    destination_address TEXT NOT NULL,
    -- The last status-worker tick that moved the delivery: a tick moves it at most once,
    -- whichever replica runs the tick.
    last_tick BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- No index holds `status` or `last_tick`, which every worker tick changes: on PostgreSQL the
-- tick's updates are then HOT (no index is touched), with room left on each page for them.
CREATE INDEX deliveries_by_courier ON deliveries (courier_id);

CREATE TABLE delivery_products (
    delivery_id TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    sku TEXT NOT NULL,
    name TEXT NOT NULL,
    quantity BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (delivery_id, position)
);

-- No foreign key: a tick inserts a history row per moving delivery, and PostgreSQL's per-row
-- key check cost a sixth of the tick. Rows are written only beside their delivery, in its
-- transaction, and deleted with it (db::deliveries::delete_in_status).
CREATE TABLE delivery_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The worker tick that made the change; empty for creation and changes by hand.
    tick BIGINT,
    -- `worker`, or the id of the user or service that made the change.
    changed_by TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX delivery_history_by_delivery ON delivery_history (delivery_id, id);
