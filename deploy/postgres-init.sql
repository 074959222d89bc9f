-- One database per service: no service reads another's.
CREATE DATABASE ecommerce;
CREATE DATABASE delivery;
CREATE DATABASE metrics;
