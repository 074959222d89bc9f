//! Couriers as published to the `couriers` KV bucket by delivery, keyed by courier id.

use serde::{Deserialize, Serialize};

/// One courier of the fleet (seed 000: `IdRepartidor`, `Nombre`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Courier {
    pub id: i64,
    pub name: String,
    /// Inactive couriers keep their history but get no new deliveries or reports.
    pub active: bool,
}
