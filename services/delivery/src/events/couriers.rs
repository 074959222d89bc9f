//! The fleet in the `couriers` KV bucket (key = courier id), which delivery alone writes.
//! Couriers are never deleted (their history matters), only made inactive, so a start-up
//! republish through the outbox is all it takes to repair a lost or empty bucket.

use contracts::couriers::Courier;
use contracts::streams::COURIERS;
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::{self, OutboxMessage};

use crate::db::couriers;

/// Enqueues every courier's KV entry; returns how many.
pub(super) async fn republish(db: &Db, nats: &Nats) -> anyhow::Result<usize> {
    nats.ensure_bucket(&COURIERS).await?;
    let count = db
        .write(move |conn| -> anyhow::Result<usize> {
            let fleet = couriers::all(conn)?;
            let messages = fleet
                .into_iter()
                .map(|row| {
                    let courier = Courier::from(row);
                    OutboxMessage::kv_put(&COURIERS, &courier.id.to_string(), &courier)
                })
                .collect::<Result<Vec<_>, _>>()?;
            outbox::enqueue(conn, &messages)?;
            Ok(messages.len())
        })
        .await?;
    Ok(count)
}
