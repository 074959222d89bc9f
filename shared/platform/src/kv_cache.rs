//! A local copy of a KV bucket of reference data (products, couriers), kept current by a watch.
//!
//! Services that only read reference data (ingest, metrics) validate against this copy instead
//! of asking the owner on every request. The watch starts with the latest value of every key and
//! then follows each put and delete; when it breaks (NATS restarts) it starts again, so the copy
//! catches up by itself. The copy is *loaded* once the watch has caught up with the bucket,
//! which may be empty: an empty catalog is a state to answer from, not a reason to wait.
//!
//! A copy [ordered](KvCache::ordered_by) by a number in its values (a generation) reads every
//! message the bucket keeps, not only the last per key, and lets no put take an entry back to a
//! lower number: puts the outbox relays out of order (a retried row after a later one, two
//! replicas' relays) cannot undo a newer value.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use async_nats::jetstream::kv::Operation;
use contracts::streams::BucketSpec;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::nats::Nats;
use crate::readiness::PendingStep;

/// The entries of one bucket by key. Cheap to clone: clones share the entries.
pub struct KvCache<T> {
    entries: Arc<RwLock<HashMap<String, T>>>,
    loaded: Arc<AtomicBool>,
    order: Option<fn(&T) -> i64>,
}

impl<T> Clone for KvCache<T> {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            loaded: self.loaded.clone(),
            order: self.order,
        }
    }
}

impl<T> Default for KvCache<T> {
    fn default() -> Self {
        Self {
            entries: Arc::default(),
            loaded: Arc::default(),
            order: None,
        }
    }
}

impl<T> KvCache<T> {
    /// A copy whose entries only move forward by `order`.
    pub fn ordered_by(order: fn(&T) -> i64) -> Self {
        Self {
            order: Some(order),
            ..Self::default()
        }
    }
}

impl<T: DeserializeOwned + Clone + Send + Sync + 'static> KvCache<T> {
    pub fn get(&self, key: &str) -> Option<T> {
        self.entries.read().ok()?.get(key).cloned()
    }

    pub fn len(&self) -> usize {
        self.entries.read().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the copy has caught up with the bucket once (it then stays usable, even while
    /// a broken watch restarts).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// Follows `bucket` until `cancel` fires, restarting the watch whenever it breaks. The
    /// service is not ready until the copy is loaded; the step counts from the call on, so
    /// call it before spawning.
    pub fn follow(
        self,
        nats: Nats,
        bucket: BucketSpec,
        cancel: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> {
        let loading = nats
            .readiness()
            .register(format!("KV bucket {}", bucket.name));
        async move {
            let mut delay = Duration::from_millis(200);
            loop {
                if !nats.connected(&cancel).await {
                    return Ok(());
                }
                match self.watch(&nats, &bucket, &cancel, &loading).await {
                    Ok(()) => return Ok(()),
                    Err(error) => {
                        tracing::warn!(bucket = bucket.name, error = %format!("{error:#}"), "KV watch interrupted; restarting");
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(5)),
                }
            }
        }
    }

    async fn watch(
        &self,
        nats: &Nats,
        bucket: &BucketSpec,
        cancel: &CancellationToken,
        loading: &PendingStep,
    ) -> anyhow::Result<()> {
        let store = nats.ensure_bucket(bucket).await?;
        // An empty bucket sends nothing to wait for; otherwise the entry with nothing pending
        // after it is the last of the bucket's current values.
        let empty = store.status().await?.values() == 0;
        let mut entries = match self.order {
            Some(_) => store.watch_all_from_revision(1).await?,
            None => store.watch_with_history(">").await?,
        };
        if empty {
            self.mark_loaded(loading);
        }
        loop {
            let entry = tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                entry = entries.next() => entry,
            };
            let entry = entry.ok_or_else(|| anyhow::anyhow!("the watch ended"))??;
            self.apply(bucket, entry.operation, entry.key, &entry.value);
            if entry.delta == 0 {
                self.mark_loaded(loading);
            }
        }
    }

    fn mark_loaded(&self, loading: &PendingStep) {
        self.loaded.store(true, Ordering::Release);
        loading.done();
    }

    fn apply(&self, bucket: &BucketSpec, operation: Operation, key: String, value: &[u8]) {
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        match operation {
            Operation::Put => match serde_json::from_slice::<T>(value) {
                Ok(parsed) => {
                    let behind = self.order.is_some_and(|order| {
                        entries
                            .get(&key)
                            .is_some_and(|held| order(held) > order(&parsed))
                    });
                    if !behind {
                        entries.insert(key, parsed);
                    }
                }
                Err(error) => {
                    tracing::error!(bucket = bucket.name, %key, %error, "ignoring an entry that is not the expected JSON");
                }
            },
            Operation::Delete | Operation::Purge => {
                entries.remove(&key);
            }
        }
    }
}
