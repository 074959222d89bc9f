-- A subscription hears about its owner's deliveries only; an administrator's may ask for every
-- client's (all_deliveries). Existing subscriptions keep their owner's scope.
ALTER TABLE webhook_subscriptions ADD COLUMN all_deliveries BOOLEAN NOT NULL DEFAULT FALSE;
