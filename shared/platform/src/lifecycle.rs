//! Runs a service's parts (HTTP server, consumers, relay, workers) as sibling tasks under one
//! cancellation token: when one stops, or the process is asked to stop, all stop, and the
//! service says which task ended and why.

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// How long tasks get to finish their work after a stop was asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(15);

/// What a task's end means: a long-running task ending stops the service; a one-off task
/// (start-up work) may finish successfully and the service goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lifetime {
    Service,
    Once,
}

type Outcome = (&'static str, Lifetime, anyhow::Result<()>);

#[derive(Default)]
pub struct Supervisor {
    cancel: CancellationToken,
    tasks: JoinSet<Outcome>,
}

impl Supervisor {
    pub fn new(cancel: CancellationToken) -> Self {
        Self {
            cancel,
            tasks: JoinSet::new(),
        }
    }

    /// The token every task watches; cancelling it stops the service.
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// A task that runs as long as the service; its end stops the service.
    pub fn spawn<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.start(name, Lifetime::Service, task);
    }

    /// A task that finishes once its work is done; only its failure stops the service.
    pub fn spawn_once<F>(&mut self, name: &'static str, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.start(name, Lifetime::Once, task);
    }

    fn start<F>(&mut self, name: &'static str, lifetime: Lifetime, task: F)
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        tracing::info!(task = name, "starting");
        self.tasks
            .spawn(async move { (name, lifetime, task.await) });
    }

    /// Waits until a task ends, the token is cancelled, or SIGINT/SIGTERM arrives; then stops
    /// every task. Returns the error of the task that ended first, if it failed.
    pub async fn run_until_stopped(mut self) -> anyhow::Result<()> {
        let signal = shutdown_signal();
        tokio::pin!(signal);
        let first = loop {
            tokio::select! {
                Some(joined) = self.tasks.join_next() => match joined {
                    Ok((name, Lifetime::Once, Ok(()))) => tracing::info!(task = name, "task done"),
                    other => break Some(other),
                },
                _ = self.cancel.cancelled() => break None,
                _ = &mut signal => {
                    tracing::info!("stop requested");
                    break None;
                }
            }
        };
        self.cancel.cancel();
        let outcome = match first {
            Some(Ok((name, _, Ok(())))) => {
                tracing::info!(task = name, "task finished; stopping the service");
                Ok(())
            }
            Some(Ok((name, _, Err(error)))) => {
                tracing::error!(task = name, error = %format!("{error:#}"), "task failed; stopping the service");
                Err(error.context(format!("task {name} failed")))
            }
            Some(Err(join_error)) => Err(anyhow::anyhow!("a task panicked: {join_error}")),
            None => Ok(()),
        };
        let drain = async {
            while let Some(joined) = self.tasks.join_next().await {
                if let Ok((name, _, Err(error))) = joined {
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

/// A built service, not yet running: the port its HTTP server is bound to and the supervisor of
/// its tasks. Every service's `startup::Application::build` returns one.
pub struct Service {
    port: u16,
    supervisor: Supervisor,
}

impl Service {
    pub fn new(port: u16, supervisor: Supervisor) -> Self {
        Self { port, supervisor }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Cancelling this token stops the service gracefully.
    pub fn stop_token(&self) -> CancellationToken {
        self.supervisor.token()
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.supervisor.run_until_stopped().await
    }
}
