-- A foreign order id belongs to whoever created the delivery: unique per creator, not across
-- them, so a service client can no longer take the id of a marketplace order before it is
-- dispatched. SQLite's way of changing a constraint: a new table, the rows copied over.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE deliveries_owned (
    id TEXT PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    -- The creator's order: `orders.dispatched` for the marketplace's, else the client's own.
    foreign_order_id TEXT NOT NULL,
    courier_id BIGINT NOT NULL REFERENCES couriers (id),
    status TEXT NOT NULL,
    origin_address TEXT NOT NULL,
    destination_name TEXT NOT NULL,
    destination_address TEXT NOT NULL,
    -- The last status-worker tick that moved the delivery: a tick moves it at most once,
    -- whichever replica runs the tick.
    last_tick BIGINT NOT NULL,
    -- The owner: `orders.dispatched` (the marketplace) or the id of the client that created it.
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO deliveries_owned
    SELECT id, tracking_number, foreign_order_id, courier_id, status, origin_address,
           destination_name, destination_address, last_tick, created_by, created_at, updated_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_owned RENAME TO deliveries;
CREATE INDEX deliveries_by_courier ON deliveries (courier_id);
-- One delivery per order of each creator: creating it again returns this one.
CREATE UNIQUE INDEX deliveries_by_owner_and_order ON deliveries (created_by, foreign_order_id);
CREATE INDEX deliveries_by_order ON deliveries (foreign_order_id);
COMMIT;
PRAGMA foreign_keys = ON;
