DROP INDEX deliveries_by_order;
DROP INDEX deliveries_by_owner_and_order;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_foreign_order_id_key UNIQUE (foreign_order_id);
