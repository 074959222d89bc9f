//! What delivery tells the platform over NATS, and what it takes from it.

pub mod courier_reports;
pub mod couriers;
pub mod deliveries;
pub mod dispatched_orders;

use contracts::streams::{COURIERS, DELIVERIES};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use tokio_util::sync::CancellationToken;

/// Start-up task: once NATS answers, creates the DELIVERIES stream and the couriers bucket and
/// republishes the fleet, retrying until it succeeds; the service is not ready until it has
/// done so. Then keeps the bucket: if NATS loses it, the fleet is published again at once.
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
            let couriers = couriers::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!(
                "{couriers} couriers queued for the couriers bucket"
            ))
        }
    };
    let refill = republish.clone();
    let prepared = keeper.prepare(
        "DELIVERIES stream and couriers bucket",
        &cancel,
        move || {
            let (nats, republish) = (setup.clone(), republish.clone());
            async move {
                nats.reconcile_stream(&DELIVERIES).await?;
                nats.reconcile_bucket(&COURIERS).await?;
                republish().await
            }
        },
    );
    let keep = keeper.keep_bucket(COURIERS, cancel, refill);
    async move {
        prepared.await?;
        keep.await
    }
}
