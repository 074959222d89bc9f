//! Deletes the log-in throttle's forgotten counts every hour, so the table holds only keys that
//! failed within the forget period (guessers try many emails that have no account).

use std::time::Duration;

use chrono::TimeDelta;
use platform::db::{Db, DbError};
use tokio_util::sync::CancellationToken;

use crate::db::{login_throttle, now};

pub async fn sweep_forgotten_counts(
    db: Db,
    forget_after: TimeDelta,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    loop {
        match sweep_once(&db, forget_after).await {
            Ok(deleted) if deleted > 0 => {
                tracing::info!(deleted, "forgotten log-in throttle counts deleted");
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "could not delete forgotten log-in throttle counts");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
    }
}

/// One sweep; answers how many counts were deleted.
pub async fn sweep_once(db: &Db, forget_after: TimeDelta) -> Result<usize, DbError> {
    db.write(move |conn| {
        let now = now();
        Ok(login_throttle::delete_stale(conn, now - forget_after, now)?)
    })
    .await
}
