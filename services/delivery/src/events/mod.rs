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
/// republishes the fleet, retrying until it succeeds.
/// The service is not ready until it has done so.
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let on = nats.clone();
    on.prepare(
        "DELIVERIES stream and couriers bucket",
        &cancel,
        move || {
            let (db, nats, signal) = (db.clone(), nats.clone(), signal.clone());
            async move {
                nats.reconcile_stream(&DELIVERIES).await?;
                nats.reconcile_bucket(&COURIERS).await?;
                let couriers = couriers::republish(&db, &nats).await?;
                signal.notify();
                Ok(format!(
                    "{couriers} couriers queued for the couriers bucket"
                ))
            }
        },
    )
}
