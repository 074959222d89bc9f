//! The status worker (seed 004 item 3): at every tick, every delivery not yet delivered moves
//! one step (see `domain::lifecycle`).
//!
//! Ticks are numbered from the wall clock (`unix time / interval`), so every replica agrees on
//! the current tick; a delivery remembers the last tick that moved it, so however many
//! replicas run a tick, each delivery moves at most once in it. A tick works in batches: each
//! batch is one transaction that takes its rows (skipping rows another replica holds, on
//! PostgreSQL), moves them with one UPDATE per target status, and writes their history rows
//! and outbox events in a handful of multi-row statements.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::deliveries::DeliveryStatus;
use contracts::streams::Namespace;
use platform::ApiError;
use platform::db::{Db, DbConnection};
use platform::outbox::{self, OutboxSignal};
use tokio_util::sync::CancellationToken;

use crate::db::deliveries::{self, StatusChange};
use crate::domain::lifecycle::{Coin, next_status};
use crate::events::deliveries::{Changed, status_changed};

/// Who the history says made the worker's changes.
pub const WORKER: &str = "worker";

/// Tick numbers from the wall clock.
#[derive(Debug, Clone, Copy)]
pub struct TickClock {
    interval_ms: i64,
}

impl TickClock {
    pub fn new(interval: Duration) -> Self {
        Self {
            interval_ms: (interval.as_millis() as i64).max(1),
        }
    }

    pub fn tick_at(&self, at: DateTime<Utc>) -> i64 {
        at.timestamp_millis().div_euclid(self.interval_ms)
    }

    pub fn current(&self) -> i64 {
        self.tick_at(Utc::now())
    }

    /// Time left until the next tick starts.
    fn until_next(&self) -> Duration {
        let now = Utc::now().timestamp_millis();
        let next = (now.div_euclid(self.interval_ms) + 1) * self.interval_ms;
        Duration::from_millis((next - now).max(1) as u64)
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub moved: usize,
    pub delivered: usize,
    pub not_delivered: usize,
}

#[derive(Clone)]
pub struct StatusWorker {
    db: Db,
    namespace: Namespace,
    signal: OutboxSignal,
    clock: TickClock,
    batch_size: i64,
    coin: Arc<Mutex<Coin>>,
}

impl StatusWorker {
    pub fn new(
        db: Db,
        namespace: Namespace,
        signal: OutboxSignal,
        clock: TickClock,
        batch_size: i64,
        seed: Option<u64>,
    ) -> Self {
        Self {
            db,
            namespace,
            signal,
            clock,
            batch_size: batch_size.max(1),
            coin: Arc::new(Mutex::new(Coin::new(seed))),
        }
    }

    /// Runs a tick at every interval boundary until `cancel` fires. A tick that fails (the
    /// database is down) is logged; the next boundary tries again with the then current tick.
    pub async fn run(self, cancel: CancellationToken) -> anyhow::Result<()> {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return Ok(()),
                _ = tokio::time::sleep(self.clock.until_next()) => {}
            }
            let tick = self.clock.current();
            let started = std::time::Instant::now();
            match self.advance(tick).await {
                Ok(report) if report.moved > 0 => tracing::info!(
                    tick,
                    moved = report.moved,
                    delivered = report.delivered,
                    not_delivered = report.not_delivered,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "deliveries moved"
                ),
                Ok(_) => {}
                Err(error) => tracing::warn!(tick, %error, "status tick failed; next tick retries"),
            }
        }
    }

    /// Moves every delivery not yet moved in `tick` one step, batch by batch.
    pub async fn advance(&self, tick: i64) -> Result<TickReport, ApiError> {
        let mut report = TickReport::default();
        loop {
            let (namespace, coin, limit) =
                (self.namespace.clone(), self.coin.clone(), self.batch_size);
            let batch = self
                .db
                .write(move |conn| advance_batch(conn, &namespace, tick, limit, &coin))
                .await?;
            self.signal.notify();
            report.moved += batch.moved;
            report.delivered += batch.delivered;
            report.not_delivered += batch.not_delivered;
            if (batch.moved as i64) < limit {
                return Ok(report);
            }
        }
    }
}

fn advance_batch(
    conn: &mut DbConnection,
    namespace: &Namespace,
    tick: i64,
    limit: i64,
    coin: &Mutex<Coin>,
) -> Result<TickReport, ApiError> {
    let moving = deliveries::take_moving(conn, tick, limit)?;
    if moving.is_empty() {
        return Ok(TickReport::default());
    }
    let at = Utc::now();
    let now = at.naive_utc();
    let mut coin = coin
        .lock()
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("the worker's coin was poisoned")))?;
    let mut steps = Vec::with_capacity(moving.len());
    for delivery in &moving {
        let from = DeliveryStatus::parse(&delivery.status).ok_or_else(|| {
            ApiError::Internal(anyhow::anyhow!(
                "delivery {} holds an unknown status {:?}",
                delivery.id,
                delivery.status
            ))
        })?;
        if let Some(to) = next_status(from, || coin.flip()) {
            steps.push((delivery, from, to));
        }
    }
    drop(coin);

    let mut by_target: BTreeMap<&str, (DeliveryStatus, Vec<&str>)> = BTreeMap::new();
    for (delivery, _, to) in &steps {
        by_target
            .entry(to.as_str())
            .or_insert_with(|| (*to, Vec::new()))
            .1
            .push(&delivery.id);
    }
    for (to, ids) in by_target.values() {
        let moved = deliveries::move_to(conn, ids, *to, tick, now)?;
        if moved != ids.len() {
            // Rows are locked for this transaction, so this means a bug: undo the batch.
            return Err(ApiError::Internal(anyhow::anyhow!(
                "moved {moved} of {} deliveries to {}",
                ids.len(),
                to.as_str()
            )));
        }
    }
    let history: Vec<StatusChange<'_>> = steps
        .iter()
        .map(|(delivery, _, to)| StatusChange {
            delivery_id: &delivery.id,
            status: *to,
            tick: Some(tick),
            changed_by: WORKER,
            changed_at: now,
        })
        .collect();
    deliveries::record_history(conn, &history)?;
    let events = steps
        .iter()
        .map(|(delivery, from, to)| {
            let changed = Changed {
                delivery_id: &delivery.id,
                tracking_number: &delivery.tracking_number,
                foreign_order_id: &delivery.foreign_order_id,
                courier_id: delivery.courier_id,
            };
            status_changed(namespace, changed, *to, Some(*from), at)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ApiError::Internal(e.into()))?;
    outbox::enqueue(conn, &events)?;
    let count = |status| steps.iter().filter(|(_, _, to)| *to == status).count();
    Ok(TickReport {
        moved: steps.len(),
        delivered: count(DeliveryStatus::Delivered),
        not_delivered: count(DeliveryStatus::NotDelivered),
    })
}
