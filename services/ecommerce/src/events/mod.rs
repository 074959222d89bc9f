//! What ecommerce tells the rest of the platform over NATS, and what it does with its own events.

pub mod catalog;
pub mod order_followup;
pub mod orders;

use std::time::Duration;

use contracts::streams::ORDERS;
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use tokio_util::sync::CancellationToken;

/// Start-up task: once NATS answers, creates the ORDERS stream and the catalog bucket and
/// republishes the whole catalog, retrying until it succeeds.
pub async fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> anyhow::Result<()> {
    let mut delay = Duration::from_millis(200);
    loop {
        if !nats.connected(&cancel).await {
            return Ok(());
        }
        let setup = async {
            nats.ensure_stream(&ORDERS).await?;
            catalog::republish(&db, &nats).await
        };
        match setup.await {
            Ok(products) => {
                signal.notify();
                tracing::info!(
                    products,
                    "ORDERS stream ready; catalog queued for the KV bucket"
                );
                return Ok(());
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "NATS not prepared yet; retrying")
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(2)),
        }
    }
}
