-- Only the statuses the code knows can be stored: a status the code could not read back is
-- refused when it is written, not found later by a list that then fails as a whole. A new
-- status needs a migration that widens these. SQLite cannot add a CHECK to a table, so
-- triggers refuse the rows instead.

CREATE TRIGGER deliveries_statuses_known_insert BEFORE INSERT ON deliveries
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: deliveries status is not a known status');
END;

CREATE TRIGGER deliveries_statuses_known_update BEFORE UPDATE OF status ON deliveries
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: deliveries status is not a known status');
END;

CREATE TRIGGER delivery_history_statuses_known_insert BEFORE INSERT ON delivery_history
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: delivery_history status is not a known status');
END;

CREATE TRIGGER delivery_history_statuses_known_update BEFORE UPDATE OF status ON delivery_history
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: delivery_history status is not a known status');
END;

CREATE TRIGGER webhook_messages_statuses_known_insert BEFORE INSERT ON webhook_messages
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: webhook_messages status is not a known status');
END;

CREATE TRIGGER webhook_messages_statuses_known_update BEFORE UPDATE OF status ON webhook_messages
WHEN NEW.status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: webhook_messages status is not a known status');
END;
