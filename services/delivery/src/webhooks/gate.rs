//! Stops sends to a subscription the moment it is deleted, disabled or changed.
//!
//! The dispatcher claims messages ahead of sending them, so a change in the database alone
//! would not stop what a dispatcher already holds. The API closes the subscription in this
//! replica's gate before it answers and announces the change on NATS, where every other
//! replica's gate hears it. Each send asks the gate right before it starts: a message claimed
//! before the change is given back unsent (lease released, attempt not counted), to be claimed
//! again under the subscription's new settings, or never when it is deleted or disabled.
//!
//! Changes are ordered by an epoch: a claim notes the epoch before it reads the database, and
//! its messages are stale when their subscription changed at a later epoch.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contracts::notices::WEBHOOK_SUBSCRIPTION_CHANGED;
use platform::nats::Nats;
use tokio_util::sync::CancellationToken;

/// How long a change is remembered: longer than any claim is held (its lease).
const REMEMBERED: Duration = Duration::from_secs(600);

#[derive(Clone, Default)]
pub struct SubscriptionGate {
    /// The latest change's epoch, readable without the lock: every send asks the gate, and
    /// almost always nothing changed since its claim.
    epoch: Arc<AtomicU64>,
    /// The epoch of each subscription's latest change, and when it happened.
    changed: Arc<Mutex<HashMap<String, (u64, Instant)>>>,
}

impl SubscriptionGate {
    /// The epoch now: a claim that reads the database after this call sees every change
    /// closed before it.
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// Makes every message of `subscription` claimed so far stale.
    pub fn close(&self, subscription: &str) {
        let Ok(mut changed) = self.changed.lock() else {
            return;
        };
        let now = Instant::now();
        changed.retain(|_, (_, at)| now.duration_since(*at) < REMEMBERED);
        // Recorded before the epoch is published, so a reader that sees the new epoch finds it.
        let epoch = self.epoch.load(Ordering::Acquire) + 1;
        changed.insert(subscription.to_owned(), (epoch, now));
        self.epoch.store(epoch, Ordering::Release);
    }

    /// Whether a message of `subscription` claimed at `epoch` may still be sent.
    pub fn is_open(&self, subscription: &str, epoch: u64) -> bool {
        if self.epoch.load(Ordering::Acquire) <= epoch {
            return true;
        }
        self.changed.lock().is_ok_and(|changed| {
            changed
                .get(subscription)
                .is_none_or(|(at_epoch, _)| *at_epoch <= epoch)
        })
    }

    /// Closes `subscription` here and tells every other replica; call it after the change is
    /// committed and before answering.
    pub async fn announce(&self, nats: &Nats, subscription: &str) {
        self.close(subscription);
        let announced = nats
            .announce(WEBHOOK_SUBSCRIPTION_CHANGED, subscription.to_owned())
            .await;
        if let Err(error) = announced {
            // Other replicas then stop when their claims' leases run out.
            tracing::warn!(error = %format!("{error:#}"), subscription, "could not announce a webhook subscription change");
        }
    }

    /// Closes the subscriptions other replicas announce, until `cancel` fires. Call it before
    /// spawning (see `Nats::follow_notices`).
    pub fn listen(
        self,
        nats: &Nats,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + use<> {
        nats.follow_notices(WEBHOOK_SUBSCRIPTION_CHANGED, cancel, move |payload| {
            match std::str::from_utf8(payload) {
                Ok(subscription) => self.close(subscription),
                Err(_) => tracing::warn!("ignoring a subscription change notice that is not text"),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_claimed_before_a_change_are_stale_and_later_ones_are_not() {
        let gate = SubscriptionGate::default();
        let before = gate.epoch();
        assert!(gate.is_open("sub-a", before));
        gate.close("sub-a");
        assert!(!gate.is_open("sub-a", before), "claimed before the change");
        assert!(gate.is_open("sub-b", before), "other subscriptions go on");
        let after = gate.epoch();
        assert!(gate.is_open("sub-a", after), "claimed after the change");
    }
}
