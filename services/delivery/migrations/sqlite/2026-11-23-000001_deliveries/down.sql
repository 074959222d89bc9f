DROP TABLE delivery_history;
DROP TABLE delivery_products;
DROP TABLE deliveries;
DROP TABLE couriers;
