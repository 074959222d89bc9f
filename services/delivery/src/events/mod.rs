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

/// Start-up task: creates the DELIVERIES stream and the couriers bucket and republishes the
/// fleet once NATS answers (the service is not ready before), then publishes it again whenever
/// NATS lost the bucket (`Nats::prepare_owned`).
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let owner = nats.clone();
    owner.prepare_owned(DELIVERIES, COURIERS, &cancel, move || {
        let (db, nats, signal) = (db.clone(), nats.clone(), signal.clone());
        async move {
            let couriers = couriers::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!(
                "{couriers} couriers queued for the couriers bucket"
            ))
        }
    })
}
