//! Core NATS notices between the replicas of one service: things no one needs to replay, sent
//! on plain subjects outside every stream (see `Namespace::notice_subject`). A replica that
//! misses one (it was not connected) loses nothing the database does not also hold.

/// A webhook subscription was deleted, disabled or changed; the payload is its id. Every
/// delivery replica stops sending what it had claimed for it.
pub const WEBHOOK_SUBSCRIPTION_CHANGED: &str = "webhooks.subscriptions.changed";

/// A metrics replica applied events to the rollups; the payload is the replica's instance id.
/// Every other replica pushes the new numbers to its own live viewers.
pub const METRICS_ROLLUPS_CHANGED: &str = "metrics.rollups.changed";
