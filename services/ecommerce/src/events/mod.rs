//! What ecommerce tells the rest of the platform over NATS, and what it does with its own events.

pub mod catalog;
pub mod order_followup;
pub mod orders;

use contracts::streams::{CATALOG, ORDERS};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use tokio_util::sync::CancellationToken;

/// Start-up task: once NATS answers, creates the ORDERS stream and the catalog bucket and
/// republishes the whole catalog, retrying until it succeeds.
/// The service is not ready until it has done so.
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let on = nats.clone();
    on.prepare("ORDERS stream and catalog bucket", &cancel, move || {
        let (db, nats, signal) = (db.clone(), nats.clone(), signal.clone());
        async move {
            nats.reconcile_stream(&ORDERS).await?;
            nats.reconcile_bucket(&CATALOG).await?;
            let products = catalog::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!("{products} products queued for the catalog bucket"))
        }
    })
}
