//! Gathers concurrent purchases into batches, each written in one transaction.
//!
//! Routes hand their purchase to a [`PurchaseBatcher`] and wait for its answer. A writer task
//! takes the requests waiting when a writer is free (up to `max_batch`) and writes them as one
//! batch: while a batch is being written the next one fills, so under load many purchases
//! share a commit, and a lone purchase is written at once without waiting for company.

use std::sync::Arc;

use chrono::TimeDelta;
use contracts::streams::Namespace;
use platform::ApiError;
use platform::db::Db;
use platform::outbox::{self, OutboxSignal};
use serde::Deserialize;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::batch::{self, Render};
use super::{Checkout, Placed};
use crate::db::now;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct GroupCommitSettings {
    /// The most purchases one transaction writes; 1 commits each purchase on its own.
    pub max_batch: usize,
    /// Batches written at the same time.
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
const WAITING: usize = 4_096;

struct Job {
    request: Checkout,
    answer: oneshot::Sender<Result<Placed, ApiError>>,
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
        namespace: Namespace,
        idempotency_ttl: TimeDelta,
        render: Render,
        settings: &GroupCommitSettings,
    ) -> (Self, BatchWriter) {
        let (jobs, waiting) = mpsc::channel(WAITING);
        let writer = BatchWriter {
            db,
            outbox,
            namespace,
            idempotency_ttl,
            render,
            max_batch: settings.max_batch.max(1),
            writers: settings.writers.max(1),
            waiting,
        };
        (Self { jobs }, writer)
    }

    /// Places `request` with the next batch; answers once that batch is committed.
    pub async fn place(&self, request: Checkout) -> Result<Placed, ApiError> {
        let (answer, answered) = oneshot::channel();
        let stopped = || ApiError::Unavailable("the service is stopping; try again".to_owned());
        self.jobs
            .send(Job { request, answer })
            .await
            .map_err(|_| stopped())?;
        answered.await.map_err(|_| stopped())?
    }
}

/// Writes the batches; see [`BatchWriter::run`].
pub struct BatchWriter {
    db: Db,
    outbox: OutboxSignal,
    namespace: Namespace,
    idempotency_ttl: TimeDelta,
    render: Render,
    max_batch: usize,
    writers: usize,
    waiting: mpsc::Receiver<Job>,
}

impl BatchWriter {
    /// Writes batches until `cancel` fires, then writes what was already handed over.
    pub async fn run(mut self, cancel: CancellationToken) -> anyhow::Result<()> {
        let writers = Arc::new(Semaphore::new(self.writers));
        let mut writing = JoinSet::new();
        loop {
            let writer = tokio::select! {
                _ = cancel.cancelled() => break,
                writer = writers.clone().acquire_owned() => writer?,
            };
            let first = tokio::select! {
                _ = cancel.cancelled() => break,
                job = self.waiting.recv() => match job {
                    Some(job) => job,
                    None => break,
                },
            };
            let batch = self.gather(first);
            let write = self.write(batch);
            writing.spawn(async move {
                write.await;
                drop(writer);
            });
            while writing.try_join_next().is_some() {}
        }
        // Every purchase handed over was accepted by a route that waits for its answer.
        self.waiting.close();
        while let Some(first) = self.waiting.recv().await {
            let batch = self.gather(first);
            self.write(batch).await;
        }
        while writing.join_next().await.is_some() {}
        Ok(())
    }

    /// `first` and the purchases waiting behind it, up to a batch.
    fn gather(&mut self, first: Job) -> Vec<Job> {
        let mut batch = vec![first];
        while batch.len() < self.max_batch {
            match self.waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        batch
    }

    /// Writes `jobs` in one transaction and answers each; should the transaction fail, writes
    /// each on its own, so that each gets the answer of its own purchase.
    fn write(&self, jobs: Vec<Job>) -> impl Future<Output = ()> + Send + 'static {
        let (db, outbox, namespace, render) = (
            self.db.clone(),
            self.outbox.clone(),
            self.namespace.clone(),
            self.render,
        );
        let fresh_since = now() - self.idempotency_ttl;
        async move {
            let (requests, answers): (Vec<_>, Vec<_>) = jobs
                .into_iter()
                .map(|job| (job.request, job.answer))
                .unzip();
            let place = |requests: Arc<Vec<Checkout>>| {
                let namespace = namespace.clone();
                outbox::write_then_signal(&db, &outbox, move |conn| {
                    batch::place_all(conn, &namespace, fresh_since, &requests, render)
                })
            };
            let requests = Arc::new(requests);
            if requests.len() == 1 {
                let placed = place(requests).await.and_then(only);
                let _ = answers.into_iter().next().map(|answer| answer.send(placed));
                return;
            }
            match place(requests.clone()).await {
                Ok(placed) => {
                    for (answer, placed) in answers.into_iter().zip(placed) {
                        let _ = answer.send(placed);
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), purchases = requests.len(),
                        "a batch of purchases failed; writing each on its own");
                    for (request, answer) in requests.iter().zip(answers) {
                        let placed = place(Arc::new(vec![request.clone()])).await.and_then(only);
                        let _ = answer.send(placed);
                    }
                }
            }
        }
    }
}

/// The answer of a batch of one.
fn only(mut placed: Vec<Result<Placed, ApiError>>) -> Result<Placed, ApiError> {
    placed.pop().unwrap_or_else(|| {
        Err(ApiError::Internal(anyhow::anyhow!(
            "a batch of one purchase gave no answer"
        )))
    })
}
