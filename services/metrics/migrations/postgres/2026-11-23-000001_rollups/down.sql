DROP TABLE products;
DROP TABLE couriers;
DROP TABLE orders;
DROP TABLE outcome_hourly;
DROP TABLE product_hourly;
DROP TABLE courier_hourly;
