DROP INDEX users_by_creation;
DROP INDEX sellers_by_creation;
DROP INDEX products_by_seller;
CREATE INDEX products_by_seller ON products (seller_id);
DROP INDEX products_by_creation;
