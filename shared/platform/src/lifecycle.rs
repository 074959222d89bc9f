//! Runs a service's parts (HTTP server, consumers, relay, workers) as sibling tasks under one
//! cancellation token: when one stops, or the process is asked to stop, all stop, and the
//! service says which task ended and why.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long tasks get to finish their work after a stop was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

#[derive(Default)]
pub struct Supervisor {
    cancel: CancellationToken,
    tasks: JoinSet<(&'static str, anyhow::Result<()>)>,
}

impl Supervisor {
    pub fn new(cancel: CancellationToken) -> Self {
        Self { cancel, tasks: JoinSet::new() }
    }

    /// The token every task watches; cancelling it stops the service.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        tracing::info!(task = name, "starting");
        self.tasks.spawn(async move { (name, task.await) });
    }

    /// Waits until a task ends, the token is cancelled, or SIGINT/SIGTERM arrives; then stops
    /// every task. Returns the error of the task that ended first, if it failed.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let first = tokio::select! {
            Some(joined) = self.tasks.join_next() => Some(joined),
            _ = self.cancel.cancelled() => None,
            _ = shutdown_signal() => {
                tracing::info!("stop requested");
                None
            }
        };
        self.cancel.cancel();
        let outcome = match first {
            Some(Ok((name, Ok(())))) => {
                tracing::info!(task = name, "task finished; stopping the service");
                Ok(())
            }
            Some(Ok((name, Err(error)))) => {
                tracing::error!(task = name, error = %format!("{error:#}"), "task failed; stopping the service");
                Err(error.context(format!("task {name} failed")))
            }
            Some(Err(join_error)) => Err(anyhow::anyhow!("a task panicked: {join_error}")),
            None => Ok(()),
        };
        let drain = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Ok((name, Err(error))) = joined {
                    tracing::warn!(task = name, error = %format!("{error:#}"), "task failed while stopping");
                }
            }
        };
        if tokio::time::timeout(SHUTDOWN_GRACE, drain).await.is_err() {
            tracing::warn!("tasks still running after the grace period; aborting them");
            self.tasks.abort_all();
        }
        outcome
    }
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
