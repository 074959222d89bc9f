-- Only the statuses the code knows can be stored: a status the code could not read back is
-- refused when it is written, not found later by a list that then fails as a whole. A new
-- status needs a migration that widens these.
ALTER TABLE orders ADD CONSTRAINT orders_status_known
    CHECK (status IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled'));
ALTER TABLE orders ADD CONSTRAINT orders_delivery_status_known
    CHECK (delivery_status IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED'));
ALTER TABLE order_status_history ADD CONSTRAINT order_status_history_status_known
    CHECK (status IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled'));
ALTER TABLE order_statistics ADD CONSTRAINT order_statistics_status_known
    CHECK (status IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled'));
