-- Catalog, seller and user pages are read in (created_at, id) order, a seller's catalog within
-- its seller: with these indexes a page is an index range, not a sort of the whole table
-- (seed 001's 12,000 sellers with their products; docs/capacity.md).
CREATE INDEX products_by_creation ON products (created_at, id);
DROP INDEX products_by_seller;
CREATE INDEX products_by_seller ON products (seller_id, created_at, id);
CREATE INDEX sellers_by_creation ON sellers (created_at, id);
CREATE INDEX users_by_creation ON users (created_at, id);
