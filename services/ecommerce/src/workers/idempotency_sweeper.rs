//! Deletes expired idempotency keys every hour, so the table holds a day of purchases at most.

use std::time::Duration;

use chrono::TimeDelta;
use platform::db::{Db, DbError};
use tokio_util::sync::CancellationToken;

use crate::db::{now, orders};

pub async fn sweep_expired_keys(
    db: Db,
    ttl: TimeDelta,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        let cutoff = now() - ttl;
        match db
            .write(move |conn| {
                Ok::<_, DbError>(orders::delete_expired_idempotency_keys(conn, cutoff)?)
            })
            .await
        {
            Ok(deleted) if deleted > 0 => {
                tracing::info!(deleted, "expired idempotency keys deleted");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "could not delete expired idempotency keys"),
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}
