ALTER TABLE webhook_subscriptions DROP COLUMN all_deliveries;
