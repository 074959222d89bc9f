//! What ecommerce tells the rest of the platform over NATS, and what it does with its own events.

pub mod catalog;
pub mod order_followup;
pub mod orders;

use contracts::streams::{CATALOG, ORDERS};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use tokio_util::sync::CancellationToken;

/// Start-up task: creates the ORDERS stream and the catalog bucket and republishes the whole
/// catalog once NATS answers (the service is not ready before), then publishes it again
/// whenever NATS lost the bucket (`Nats::prepare_owned`).
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let owner = nats.clone();
    owner.prepare_owned(ORDERS, CATALOG, &cancel, move || {
        let (db, nats, signal) = (db.clone(), nats.clone(), signal.clone());
        async move {
            let products = catalog::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!("{products} products queued for the catalog bucket"))
        }
    })
}
