//! What a service still waits for before it can do its work: streams and buckets created,
//! durable consumers attached, reference data loaded. Each start-up step registers itself
//! before its task is spawned and says when it is done; `/readyz` answers 503 naming the steps
//! still pending. So a load balancer, Kubernetes and the tests send work only to a replica
//! that can take it, and nothing is published before the stream that keeps it exists.
//!
//! A step done stays done: a consumer reconnecting after a NATS outage does not make the
//! service unready again (NATS being down already does, through the connection check).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The steps still pending. Cheap to clone: clones share them.
#[derive(Clone, Default)]
pub struct Readiness {
    pending: Arc<Mutex<BTreeMap<u64, String>>>,
    next_id: Arc<AtomicU64>,
}

impl Readiness {
    /// Registers a step that has to finish before the service is ready.
    pub fn register(&self, step: impl Into<String>) -> PendingStep {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id, step.into());
        }
        PendingStep {
            readiness: self.clone(),
            id,
        }
    }

    /// The steps not done yet, in the order they registered.
    pub fn waiting_for(&self) -> Vec<String> {
        self.pending
            .lock()
            .map(|pending| pending.values().cloned().collect())
            .unwrap_or_default()
    }

    pub fn is_ready(&self) -> bool {
        self.pending.lock().is_ok_and(|pending| pending.is_empty())
    }
}

/// A registered step; [`PendingStep::done`] takes it off the list. Dropping it undone (the
/// task stopped) leaves the service unready, which is the truth.
pub struct PendingStep {
    readiness: Readiness,
    id: u64,
}

impl PendingStep {
    pub fn done(&self) {
        if let Ok(mut pending) = self.readiness.pending.lock() {
            pending.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_once_every_registered_step_is_done() {
        let readiness = Readiness::default();
        assert!(readiness.is_ready());
        let stream = readiness.register("ORDERS stream");
        let consumer = readiness.register("consumer metrics-orders");
        assert_eq!(
            readiness.waiting_for(),
            ["ORDERS stream", "consumer metrics-orders"]
        );
        stream.done();
        stream.done();
        assert_eq!(readiness.waiting_for(), ["consumer metrics-orders"]);
        consumer.done();
        assert!(readiness.is_ready());
    }
}
