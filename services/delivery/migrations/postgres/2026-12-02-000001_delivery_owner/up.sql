-- A foreign order id belongs to whoever created the delivery: unique per creator, not across
-- them, so a service client can no longer take the id of a marketplace order before it is
-- dispatched. `created_by` is the owner: `orders.dispatched` (the marketplace) or the id of
-- the client that created it. Neither column changes on a tick, so ticks stay HOT updates.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_foreign_order_id_key;
CREATE UNIQUE INDEX deliveries_by_owner_and_order ON deliveries (created_by, foreign_order_id);
CREATE INDEX deliveries_by_order ON deliveries (foreign_order_id);
