-- Only the statuses the code knows can be stored: a status the code could not read back is
-- refused when it is written, not found later by a list that then fails as a whole. A new
-- status needs a migration that widens these. SQLite cannot add a CHECK to a table, so
-- triggers refuse the rows instead.

CREATE TRIGGER orders_statuses_known_insert BEFORE INSERT ON orders
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
    OR NEW.delivery_status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: orders status is not a known status');
END;

CREATE TRIGGER orders_statuses_known_update BEFORE UPDATE OF status, delivery_status ON orders
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
    OR NEW.delivery_status NOT IN ('READY_FOR_PICK_UP', 'IN_ORIGIN', 'IN_ROUTE_OF_DELIVERY', 'NOT_DELIVERED', 'DELIVERED')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: orders status is not a known status');
END;

CREATE TRIGGER order_status_history_statuses_known_insert BEFORE INSERT ON order_status_history
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: order_status_history status is not a known status');
END;

CREATE TRIGGER order_status_history_statuses_known_update BEFORE UPDATE OF status ON order_status_history
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: order_status_history status is not a known status');
END;

CREATE TRIGGER order_statistics_statuses_known_insert BEFORE INSERT ON order_statistics
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: order_statistics status is not a known status');
END;

CREATE TRIGGER order_statistics_statuses_known_update BEFORE UPDATE OF status ON order_statistics
WHEN NEW.status NOT IN ('created', 'confirmed', 'dispatched', 'delivered', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: order_statistics status is not a known status');
END;
