-- Only the statuses the code knows can be stored: a status the code could not read back is
-- refused when it is written, not found later by a list that then fails as a whole. A new
-- status needs a migration that widens these.
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_known
    CHECK (status IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED'));
ALTER TABLE delivery_history ADD CONSTRAINT delivery_history_status_known
    CHECK (status IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED'));
ALTER TABLE webhook_messages ADD CONSTRAINT webhook_messages_status_known
    CHECK (status IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED'));
