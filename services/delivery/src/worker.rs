//! The status worker (seed 004 item 3): at every tick, every delivery not yet delivered moves
//! one step (see `domain::lifecycle`).
//!
//! Ticks are numbered from the wall clock (`unix time / interval`), so every replica agrees on
//! the current tick; a delivery remembers the last tick that moved it, so however many
//! replicas run a tick, each delivery moves at most once in it. A tick works in batches: a
//! batch is read without locks, its moves are drawn, and one transaction applies them with one
//! conditional UPDATE per (from, to) pair (only rows still in `from` and not yet moved in the
//! tick move; another replica that got there first wins) and writes history rows and outbox
//! events for exactly the rows that moved (COPY on PostgreSQL).

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use contracts::deliveries::DeliveryStatus;
use platform::db::{Backend, Db, DbConnection};
use platform::outbox::{self, OutboxSignal};
use tokio_util::sync::CancellationToken;

use crate::db::deliveries::{self, Moving, StatusChange};
use crate::domain::DeliveryId;
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
    signal: OutboxSignal,
    clock: TickClock,
    batch_size: i64,
    coin: Arc<Mutex<Coin>>,
}

impl StatusWorker {
    pub fn new(
        db: Db,
        signal: OutboxSignal,
        clock: TickClock,
        batch_size: i64,
        seed: Option<u64>,
    ) -> Self {
        Self {
            db,
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

    /// Moves every delivery not yet moved in `tick` one step, batch by batch. On PostgreSQL
    /// two batches are in flight at once, so the database writes one while the worker reads
    /// and prepares the next; SQLite writes one at a time anyway.
    #[tracing::instrument(level = "debug", skip(self))]
    pub async fn advance(&self, tick: i64) -> anyhow::Result<TickReport> {
        let lanes = match self.db.backend() {
            Backend::Postgres => 2,
            Backend::Sqlite => 1,
        };
        let cursor = tokio::sync::Mutex::new(Some(String::new()));
        let reports = futures_util::future::try_join_all(
            (0..lanes).map(|_| self.advance_lane(tick, &cursor)),
        )
        .await?;
        Ok(reports
            .into_iter()
            .fold(TickReport::default(), |total, lane| TickReport {
                moved: total.moved + lane.moved,
                delivered: total.delivered + lane.delivered,
                not_delivered: total.not_delivered + lane.not_delivered,
            }))
    }

    /// Takes the next batch after the shared `cursor` (`None` once the scan is done) and moves
    /// it, until no batch is left.
    async fn advance_lane(
        &self,
        tick: i64,
        cursor: &tokio::sync::Mutex<Option<String>>,
    ) -> anyhow::Result<TickReport> {
        let mut report = TickReport::default();
        loop {
            let batch = {
                let mut cursor = cursor.lock().await;
                let Some(after) = cursor.clone() else {
                    return Ok(report);
                };
                let limit = self.batch_size;
                let batch = self
                    .db
                    .run(move |conn| anyhow::Ok(deliveries::moving(conn, tick, &after, limit)?))
                    .await?;
                *cursor = match batch.last() {
                    Some(last) if batch.len() as i64 == limit => Some(last.id.to_string()),
                    _ => None,
                };
                batch
            };
            if batch.is_empty() {
                return Ok(report);
            }
            let steps = self.draw_steps(batch)?;
            let moved = self
                .db
                .write(move |conn| apply_steps(conn, tick, &steps))
                .await?;
            self.signal.notify();
            report.moved += moved.moved;
            report.delivered += moved.delivered;
            report.not_delivered += moved.not_delivered;
        }
    }

    /// Where each delivery of `batch` goes (the coin decides at IN_ROUTE_OF_DELIVERY).
    fn draw_steps(&self, batch: Vec<Moving>) -> anyhow::Result<Vec<Step>> {
        let mut coin = self
            .coin
            .lock()
            .map_err(|_| anyhow::anyhow!("the worker's coin was poisoned"))?;
        let mut steps = Vec::with_capacity(batch.len());
        for delivery in batch {
            let from = delivery.status;
            if let Some(to) = next_status(from, || coin.flip()) {
                steps.push(Step { delivery, from, to });
            }
        }
        Ok(steps)
    }
}

/// One delivery's move in a tick.
struct Step {
    delivery: Moving,
    from: DeliveryStatus,
    to: DeliveryStatus,
}

/// Moves the deliveries of `steps` that are still where the worker saw them and not yet moved
/// in `tick` (another replica may have been first), and writes history and events for those.
fn apply_steps(conn: &mut DbConnection, tick: i64, steps: &[Step]) -> anyhow::Result<TickReport> {
    let at = Utc::now();
    let now = at.naive_utc();
    let mut groups: BTreeMap<(&str, &str), (DeliveryStatus, DeliveryStatus, Vec<&DeliveryId>)> =
        BTreeMap::new();
    for step in steps {
        groups
            .entry((step.from.as_str(), step.to.as_str()))
            .or_insert_with(|| (step.from, step.to, Vec::new()))
            .2
            .push(&step.delivery.id);
    }
    let mut moved = HashSet::with_capacity(steps.len());
    for (from, to, ids) in groups.values() {
        moved.extend(deliveries::move_from_to(conn, ids, *from, *to, tick, now)?);
    }
    let steps: Vec<&Step> = steps
        .iter()
        .filter(|s| moved.contains(&s.delivery.id))
        .collect();
    let history: Vec<StatusChange<'_>> = steps
        .iter()
        .map(|step| StatusChange {
            delivery_id: &step.delivery.id,
            status: step.to,
            tick: Some(tick),
            changed_by: WORKER,
            changed_at: now,
        })
        .collect();
    deliveries::record_history(conn, &history)?;
    let events = steps
        .iter()
        .map(|step| {
            let delivery = &step.delivery;
            let changed = Changed {
                delivery_id: &delivery.id,
                tracking_number: &delivery.tracking_number,
                foreign_order_id: &delivery.foreign_order_id,
                courier_id: delivery.courier_id,
                created_by: &delivery.created_by,
            };
            status_changed(changed, step.to, Some(step.from), at)
        })
        .collect::<Result<Vec<_>, _>>()?;
    outbox::enqueue_many(conn, &events)?;
    let count = |status| steps.iter().filter(|s| s.to == status).count();
    Ok(TickReport {
        moved: steps.len(),
        delivered: count(DeliveryStatus::Delivered),
        not_delivered: count(DeliveryStatus::NotDelivered),
    })
}
