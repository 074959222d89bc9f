PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE deliveries_global (
    id TEXT PRIMARY KEY,
    tracking_number TEXT NOT NULL UNIQUE,
    foreign_order_id TEXT NOT NULL UNIQUE,
    courier_id BIGINT NOT NULL REFERENCES couriers (id),
    status TEXT NOT NULL,
    origin_address TEXT NOT NULL,
    destination_name TEXT NOT NULL,
    destination_address TEXT NOT NULL,
    last_tick BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO deliveries_global
    SELECT id, tracking_number, foreign_order_id, courier_id, status, origin_address,
           destination_name, destination_address, last_tick, created_by, created_at, updated_at
    FROM deliveries;
DROP TABLE deliveries;
ALTER TABLE deliveries_global RENAME TO deliveries;
CREATE INDEX deliveries_by_courier ON deliveries (courier_id);
COMMIT;
PRAGMA foreign_keys = ON;
