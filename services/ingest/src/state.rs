//! What every ingest handler shares.

use platform::nats::Nats;

use crate::domain::report::Limits;
use crate::events::reference::ReferenceData;

pub struct AppState {
    pub nats: Nats,
    pub reference: ReferenceData,
    pub limits: Limits,
}
