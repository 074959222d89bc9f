DROP TABLE portfolio_products;
DROP TABLE portfolios;
DROP TABLE products;
DROP TABLE users;
DROP TABLE seller_tags;
DROP TABLE sellers;
