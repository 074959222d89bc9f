ALTER TABLE orders DROP COLUMN delivery_status_at;
DROP TABLE delivery_subscription;
