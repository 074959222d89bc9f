//! What a service still waits for before it can do its work: streams and buckets created,
//! durable consumers attached, reference data loaded. Each start-up step registers itself
//! before its task is spawned and says when it is done; `/readyz` answers 503 naming the steps
//! still pending. So a load balancer, Kubernetes and the tests send work only to a replica
//! that can take it, and nothing is published before the stream that keeps it exists.
//!
//! A step done stays done: a consumer reconnecting after a NATS outage does not make the
//! service unready again (NATS being down already does, through the connection check).
//!
//! It also keeps what the service found lost on NATS and made again (a stream, a bucket, a
//! consumer past its stream's end), so `/readyz` tells an operator what was repaired.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The steps still pending. Cheap to clone: clones share them.
#[derive(Clone, Default)]
pub struct Readiness {
    pending: Arc<Mutex<BTreeMap<u64, String>>>,
    next_id: Arc<AtomicU64>,
    recovered: Arc<Mutex<VecDeque<String>>>,
}

/// How many repairs `/readyz` lists, the latest last.
const RECOVERIES_KEPT: usize = 10;

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

    /// Notes a repair (`stream ORDERS was missing: recreated`), with the time it was made.
    pub fn record_recovery(&self, what: &str) {
        if let Ok(mut recovered) = self.recovered.lock() {
            if recovered.len() == RECOVERIES_KEPT {
                recovered.pop_front();
            }
            recovered.push_back(format!(
                "{} {what}",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ));
        }
    }

    /// The latest repairs, oldest first.
    pub fn recovered(&self) -> Vec<String> {
        self.recovered
            .lock()
            .map(|recovered| recovered.iter().cloned().collect())
            .unwrap_or_default()
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

    #[test]
    fn the_latest_repairs_are_kept_with_their_time() {
        let readiness = Readiness::default();
        for i in 0..12 {
            readiness.record_recovery(&format!("stream S{i} was missing: recreated"));
        }
        let recovered = readiness.recovered();
        assert_eq!(recovered.len(), RECOVERIES_KEPT);
        assert!(recovered[0].ends_with(" stream S2 was missing: recreated"));
        assert!(recovered[9].ends_with(" stream S11 was missing: recreated"));
        assert!(
            readiness.is_ready(),
            "a repair does not make the service unready"
        );
    }
}
