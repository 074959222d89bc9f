//! What ecommerce tells the rest of the platform over NATS, and what it does with its own events.

pub mod catalog;
pub mod order_followup;
pub mod orders;
pub mod user_access;

use contracts::streams::{CATALOG, ORDERS, USER_ACCESS};
use platform::db::Db;
use platform::nats::Nats;
use platform::outbox::OutboxSignal;
use tokio_util::sync::CancellationToken;

/// Start-up task: creates the ORDERS stream and the catalog and user_access buckets and
/// republishes both buckets' content once NATS answers (the service is not ready before), then
/// publishes a bucket's content again whenever NATS lost it (`Nats::prepare_owned`).
pub fn prepare_nats(
    db: Db,
    nats: Nats,
    signal: OutboxSignal,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let (catalog_db, catalog_nats, catalog_signal) = (db.clone(), nats.clone(), signal.clone());
    let catalog = nats.prepare_owned(ORDERS, CATALOG, &cancel, move || {
        let (db, nats, signal) = (
            catalog_db.clone(),
            catalog_nats.clone(),
            catalog_signal.clone(),
        );
        async move {
            let products = catalog::republish(&db, &nats).await?;
            signal.notify();
            Ok(format!("{products} products queued for the catalog bucket"))
        }
    });
    let access = nats.prepare_bucket(USER_ACCESS, &cancel, move || {
        let (db, signal) = (db.clone(), signal.clone());
        async move {
            let users = user_access::republish(&db).await?;
            signal.notify();
            Ok(format!("{users} users queued for the user_access bucket"))
        }
    });
    async move {
        let (catalog, access) = tokio::join!(catalog, access);
        catalog.and(access)
    }
}
