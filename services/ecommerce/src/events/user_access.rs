//! The `user_access` KV bucket (key = user id), which ecommerce alone writes: the token
//! generation of every user whose access changed ([`contracts::user_access`]).
//!
//! A change enqueues its KV write in the outbox, in the transaction of the change, so it reaches
//! NATS even when NATS was down at that moment. At start-up, and whenever NATS lost the bucket,
//! every entry is enqueued once more from the database.

use contracts::streams::USER_ACCESS;
use contracts::user_access::{AccessChange, UserAccess};
use platform::db::Db;
use platform::outbox::{self, OutboxMessage};

use crate::db::users;

/// The KV write announcing that `user_id`'s tokens older than `generation` no longer work.
pub fn access_put(
    user_id: &str,
    generation: i64,
    change: AccessChange,
) -> Result<OutboxMessage, serde_json::Error> {
    OutboxMessage::kv_put(&USER_ACCESS, user_id, &UserAccess { generation, change })
}

/// Enqueues every user's entry again; returns how many.
pub(super) async fn republish(db: &Db) -> anyhow::Result<usize> {
    db.write(move |conn| -> anyhow::Result<usize> {
        let mut messages = Vec::new();
        for (user_id, generation, change) in users::access_changes(conn)? {
            let change = AccessChange::parse(&change).ok_or_else(|| {
                anyhow::anyhow!("user {user_id} has an unknown access change {change:?}")
            })?;
            messages.push(access_put(&user_id, generation, change)?);
        }
        outbox::enqueue_many(conn, &messages)?;
        Ok(messages.len())
    })
    .await
}
