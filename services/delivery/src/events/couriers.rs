//! The fleet in the `couriers` KV bucket (key = courier id), which delivery alone writes.
//! Couriers are never deleted (their history matters), only made inactive, so a start-up
//! republish through the outbox is all it takes to repair a lost or empty bucket.

use contracts::couriers::Courier;
use contracts::streams::COURIERS;
use platform::ApiError;
use platform::db::{Db, DbError};
use platform::nats::Nats;
use platform::outbox::{self, OutboxMessage};

use crate::db::couriers;

/// Enqueues every courier's KV entry; returns how many.
pub(super) async fn republish(db: &Db, nats: &Nats) -> anyhow::Result<usize> {
    nats.ensure_bucket(&COURIERS).await?;
    let count = db
        .write(move |conn| -> Result<usize, ApiError> {
            let fleet = couriers::all(conn)?;
            let messages = fleet
                .into_iter()
                .map(|row| {
                    let courier = Courier::from(row);
                    OutboxMessage::kv_put(&COURIERS, &courier.id.to_string(), &courier)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ApiError::Internal(e.into()))?;
            outbox::enqueue(conn, &messages).map_err(DbError::from)?;
            Ok(messages.len())
        })
        .await?;
    Ok(count)
}
