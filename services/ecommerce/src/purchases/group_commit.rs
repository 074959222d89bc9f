//! Gathers concurrent purchases into batches, each written in one transaction.
//!
//! Routes hand their purchase to a [`PurchaseBatcher`] and wait for its answer. A writer task
//! takes the requests waiting when a writer is free (up to `max_batch`) and writes them as one
//! batch: while a batch is being written the next one fills, so under load many purchases
//! share a commit, and a lone purchase is written at once without waiting for company.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::TimeDelta;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use futures_util::FutureExt;
use platform::db::{Backend, Db, DbError};
use platform::outbox::OutboxSignal;
use platform::trace::TraceContext;
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::batch::{self, Render};
use super::{Checkout, Placed, PurchaseError};
use crate::db::now;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GroupCommitSettings {
    /// The most purchases one transaction writes, 1 to 256; 1 commits each purchase on its own.
    pub max_batch: usize,
    /// Batches written at the same time on PostgreSQL (SQLite writes one at a time).
    pub writers: usize,
}

impl Default for GroupCommitSettings {
    fn default() -> Self {
        Self {
            max_batch: 64,
            writers: 2,
        }
    }
}

/// Purchases waiting for a writer, at most; beyond it routes wait to hand theirs over.
const QUEUE_CAPACITY: usize = 4_096;
/// The most purchases a batch may hold: 100 lines each stay within SQLite's 32,766 parameters.
const MAX_BATCH: usize = 256;

struct Job {
    checkout: Checkout,
    answer: oneshot::Sender<Result<Placed, PurchaseError>>,
}

/// Where routes place purchases.
#[derive(Clone)]
pub struct PurchaseBatcher {
    jobs: mpsc::Sender<Job>,
}

impl PurchaseBatcher {
    /// The handle, and the writer task to run beside the server.
    pub fn new(
        db: Db,
        outbox: OutboxSignal,
        idempotency_ttl: TimeDelta,
        render: Render,
        settings: &GroupCommitSettings,
    ) -> (Self, BatchWriter) {
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        // SQLite writes one transaction at a time: a second writer would only gather a
        // smaller batch and wait for its turn.
        let writers = match db.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => settings.writers.max(1),
        };
        let writer = BatchWriter {
            db,
            outbox,
            idempotency_ttl,
            render,
            max_batch: settings.max_batch.clamp(1, MAX_BATCH),
            writers,
            queue,
        };
        (Self { jobs }, writer)
    }

    /// Places `checkout` with the next batch; answers once that batch is committed. At DEBUG
    /// its span shows the wait for the batch as idle time.
    #[tracing::instrument(level = "debug", skip_all,
        fields(skus = checkout.purchase.lines.len(), trace_id = %platform::trace::current_id()))]
    pub async fn place(&self, checkout: Checkout) -> Result<Placed, PurchaseError> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Job { checkout, answer })
            .await
            .map_err(|_| PurchaseError::Stopping)?;
        answered.await.map_err(|_| PurchaseError::Unanswered)?
    }
}

/// Writes the batches; see [`BatchWriter::run`].
pub struct BatchWriter {
    db: Db,
    outbox: OutboxSignal,
    idempotency_ttl: TimeDelta,
    render: Render,
    max_batch: usize,
    writers: usize,
    queue: mpsc::Receiver<Job>,
}

/// Why a batch's transaction did not commit.
enum BatchFailed {
    /// A statement of the batch failed: one of its purchases may be at fault.
    Statement(DieselError),
    /// No connection, or the commit itself failed: no purchase is at fault, and the batch may
    /// even be committed, so it is not written again.
    Database(DbError),
}

platform::database_errors!(BatchFailed);

impl BatchFailed {
    /// Whether the batch collided with a row another transaction committed meanwhile, such
    /// as an idempotency key stored by another replica after this batch read the keys.
    fn is_collision(&self) -> bool {
        matches!(
            self,
            Self::Statement(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation,
                _
            ))
        )
    }
}

impl BatchWriter {
    /// Writes batches until every [`PurchaseBatcher`] is gone, which happens once the HTTP
    /// server has stopped: a purchase a request hands over while the service stops gracefully
    /// is still written and answered.
    pub async fn run(mut self) -> anyhow::Result<()> {
        let writers = Arc::new(Semaphore::new(self.writers));
        let mut writing = JoinSet::new();
        loop {
            let writer = writers.clone().acquire_owned().await?;
            let Some(first) = self.queue.recv().await else {
                break;
            };
            let batch = self.gather(first);
            let write = AssertUnwindSafe(self.write(batch)).catch_unwind();
            writing.spawn(async move {
                if write.await.is_err() {
                    // Its purchases' answers were dropped: each gets a 500.
                    tracing::error!("writing a batch of purchases panicked");
                }
                drop(writer);
            });
            while writing.try_join_next().is_some() {}
        }
        while writing.join_next().await.is_some() {}
        Ok(())
    }

    /// `first` and the purchases waiting behind it, up to a batch.
    fn gather(&mut self, first: Job) -> Vec<Job> {
        let mut batch = vec![first];
        while batch.len() < self.max_batch {
            match self.queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        batch
    }

    /// Writes `jobs` in one transaction and answers each. Should a statement fail, writes each
    /// purchase on its own, so that each gets the answer of its own purchase.
    fn write(&self, jobs: Vec<Job>) -> impl Future<Output = ()> + Send + 'static {
        let (db, outbox, render) = (self.db.clone(), self.outbox.clone(), self.render);
        let fresh_since = now() - self.idempotency_ttl;
        // The field is only computed when DEBUG is on for this module.
        let span = tracing::debug_span!("purchase batch", purchases = jobs.len(),
            traces = %jobs
                .iter()
                .filter_map(|job| job.checkout.trace.as_ref().map(TraceContext::trace_id))
                .collect::<Vec<_>>()
                .join(","));
        async move {
            let (checkouts, mut answers): (Vec<_>, Vec<_>) = jobs
                .into_iter()
                .map(|job| (job.checkout, job.answer))
                .unzip();
            let place = |checkouts: Arc<Vec<Checkout>>| {
                let (db, outbox) = (db.clone(), outbox.clone());
                async move {
                    let placed = db
                        .write(move |conn| {
                            batch::place_all(conn, fresh_since, &checkouts, render)
                                .map_err(BatchFailed::Statement)
                        })
                        .await?;
                    outbox.notify();
                    Ok::<_, BatchFailed>(placed)
                }
            };
            let checkouts = Arc::new(checkouts);
            match place(checkouts.clone()).await {
                Ok(placed) => {
                    for (answer, placed) in answers.into_iter().zip(placed) {
                        let _ = answer.send(placed);
                    }
                }
                Err(BatchFailed::Statement(error)) if checkouts.len() > 1 => {
                    tracing::warn!(%error, purchases = checkouts.len(),
                        "a statement of a purchase batch failed; writing each purchase on its own");
                    for (checkout, answer) in checkouts.iter().zip(answers) {
                        let first = place(Arc::new(vec![checkout.clone()])).await;
                        let _ = answer.send(answer_alone(&place, checkout, first).await);
                    }
                }
                Err(failed @ BatchFailed::Statement(_)) => {
                    if let (Some(checkout), Some(answer)) = (checkouts.first(), answers.pop()) {
                        let _ = answer.send(answer_alone(&place, checkout, Err(failed)).await);
                    }
                }
                Err(BatchFailed::Database(error)) => {
                    tracing::warn!(error = %format!("{error:#}"), purchases = answers.len(),
                        "a purchase batch did not commit");
                    let error = Arc::new(error);
                    for answer in answers {
                        let _ = answer.send(Err(PurchaseError::BatchFailed(error.clone())));
                    }
                }
            }
        }
        .instrument(span)
    }
}

/// The answer to `checkout` from its transaction of its own, `first`. A collision (a unique
/// value another transaction committed meanwhile) is tried once more: when it was the
/// purchase's idempotency key, stored by a request on another replica, the second attempt finds
/// the key and answers as that request did.
async fn answer_alone<F>(
    place: impl Fn(Arc<Vec<Checkout>>) -> F,
    checkout: &Checkout,
    first: Result<Vec<Result<Placed, PurchaseError>>, BatchFailed>,
) -> Result<Placed, PurchaseError>
where
    F: Future<Output = Result<Vec<Result<Placed, PurchaseError>>, BatchFailed>>,
{
    let placed = match first {
        Err(failed) if failed.is_collision() && checkout.key.is_some() => {
            place(Arc::new(vec![checkout.clone()])).await
        }
        placed => placed,
    };
    let failed = match placed {
        Ok(mut placed) => return placed.pop().unwrap_or(Err(PurchaseError::Unanswered)),
        Err(BatchFailed::Statement(error)) => PurchaseError::Refused(DbError::from(error)),
        Err(BatchFailed::Database(error)) => PurchaseError::BatchFailed(Arc::new(error)),
    };
    tracing::warn!(error = %format!("{failed:#}"), "a purchase written on its own did not commit");
    Err(failed)
}
