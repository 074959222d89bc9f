DROP TABLE seller_changes;
