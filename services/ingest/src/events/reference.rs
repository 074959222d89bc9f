//! The catalog (owned by ecommerce) and the fleet (owned by delivery) as ingest sees them:
//! local copies of their KV buckets, kept current by watches.

use contracts::catalog::CatalogProduct;
use contracts::couriers::Courier;
use contracts::streams::{CATALOG, COURIERS};
use platform::kv_cache::KvCache;
use platform::lifecycle::Supervisor;
use platform::nats::Nats;

use crate::domain::report::Reference;

#[derive(Clone, Default)]
pub struct ReferenceData {
    catalog: KvCache<CatalogProduct>,
    couriers: KvCache<Courier>,
}

impl ReferenceData {
    /// Starts following both buckets under `supervisor`.
    pub fn follow(nats: &Nats, supervisor: &mut Supervisor) -> Self {
        let data = Self::default();
        supervisor.spawn(
            "catalog-watch",
            data.catalog
                .clone()
                .follow(nats.clone(), CATALOG, supervisor.token()),
        );
        supervisor.spawn(
            "couriers-watch",
            data.couriers
                .clone()
                .follow(nats.clone(), COURIERS, supervisor.token()),
        );
        data
    }

    /// Until both copies have caught up with their buckets every report would look invalid,
    /// so none is judged. A bucket loaded empty is loaded: its reports are judged (and their
    /// products found unknown).
    pub fn is_loaded(&self) -> bool {
        self.catalog.is_loaded() && self.couriers.is_loaded()
    }
}

impl Reference for ReferenceData {
    fn product(&self, sku: &str) -> Option<CatalogProduct> {
        self.catalog.get(sku)
    }

    fn courier(&self, id: i64) -> Option<Courier> {
        self.couriers.get(&id.to_string())
    }
}
