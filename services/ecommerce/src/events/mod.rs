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
/// republishes the whole catalog, retrying until it succeeds; the service is not ready until
/// it has done so. Then keeps the bucket: if NATS loses it, the whole catalog is published
/// again at once.
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let (keeper, setup) = (nats.clone(), nats.clone());
    let republish = move || {
        let (db, nats, signal) = (db.clone(), nats.clone(), signal.clone());
        async move {
            let products = catalog::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!("{products} products queued for the catalog bucket"))
        }
    };
    let refill = republish.clone();
    let prepared = keeper.prepare("ORDERS stream and catalog bucket", &cancel, move || {
        let (nats, republish) = (setup.clone(), republish.clone());
        async move {
            nats.reconcile_stream(&ORDERS).await?;
            nats.reconcile_bucket(&CATALOG).await?;
            republish().await
        }
    });
    let keep = keeper.keep_bucket(CATALOG, cancel, refill);
    async move {
        prepared.await?;
        keep.await
    }
}
