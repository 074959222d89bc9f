//! The consumers that keep the rollups: one durable consumer per stream (ORDERS, DELIVERIES,
//! COURIER_REPORTS), shared by every replica. Each batch is applied in one transaction that
//! also records the event ids, so a redelivered event is counted once.

pub mod consumers;

use tokio::sync::watch;

/// Tells live streams that the rollups changed: a counter bumped after every applied batch.
#[derive(Clone)]
pub struct Changes(watch::Sender<u64>);

impl Default for Changes {
    fn default() -> Self {
        Self(watch::Sender::new(0))
    }
}

impl Changes {
    pub fn notify(&self) {
        self.0.send_modify(|version| *version += 1);
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.0.subscribe()
    }
}
