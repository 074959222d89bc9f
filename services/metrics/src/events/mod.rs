//! The consumers that keep the rollups: one durable consumer per stream (ORDERS, DELIVERIES,
//! COURIER_REPORTS), shared by every replica. Each batch is applied in one transaction that
//! also records the event ids, so a redelivered event is counted once.

pub mod consumers;

use std::sync::Arc;

use contracts::notices::METRICS_ROLLUPS_CHANGED;
use platform::db::new_id;
use platform::nats::Nats;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Tells live streams that the rollups changed: a counter bumped after every batch applied,
/// here or, through a NATS notice, on another replica (whichever replica consumes an event,
/// every viewer sees it).
#[derive(Clone)]
pub struct Changes {
    local: watch::Sender<u64>,
    /// This replica's id in the notices, so it skips its own.
    instance: Arc<str>,
}

impl Default for Changes {
    fn default() -> Self {
        Self {
            local: watch::Sender::new(0),
            instance: new_id().into(),
        }
    }
}

impl Changes {
    /// After a batch applied here: this replica's viewers now, the other replicas' through a
    /// notice.
    pub async fn applied(&self, nats: &Nats) {
        self.bump();
        if let Err(error) = nats
            .announce(METRICS_ROLLUPS_CHANGED, self.instance.to_string())
            .await
        {
            tracing::warn!(error = %format!("{error:#}"), "could not tell the other replicas about new numbers");
        }
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.local.subscribe()
    }

    /// Bumps the counter on every other replica's notice, until `cancel` fires. Call it
    /// before spawning (see `Nats::follow_notices`).
    pub fn follow_other_replicas(
        &self,
        nats: &Nats,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + use<> {
        let changes = self.clone();
        nats.follow_notices(METRICS_ROLLUPS_CHANGED, cancel, move |instance| {
            if instance != changes.instance.as_bytes() {
                changes.bump();
            }
        })
    }

    fn bump(&self) {
        self.local.send_modify(|version| *version += 1);
    }
}
