use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use tempfile::TempDir;

use crate::{free_port, unique_name};

/// A NATS server for one test.
pub struct TestNats {
    url: String,
    namespace: String,
    private: Option<PrivateServer>,
}

struct PrivateServer {
    port: u16,
    store: TempDir,
    sync: JetStreamSync,
    child: Option<Child>,
}

/// When a private server writes JetStream messages to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JetStreamSync {
    /// As the project ships it (`deploy/local/nats.conf`): every message before its
    /// acknowledgement.
    Shipped,
    /// JetStream's default (every two minutes), for benchmarks that measure what the sync costs.
    ServerDefault,
}

impl TestNats {
    /// The server named by `TEST_NATS_URL` if set, else a private one.
    pub async fn start() -> anyhow::Result<Self> {
        match std::env::var("TEST_NATS_URL") {
            Ok(url) if !url.is_empty() => Ok(Self {
                url,
                namespace: unique_name("t"),
                private: None,
            }),
            _ => Self::start_private().await,
        }
    }

    /// Always a private server, for tests that stop and restart it.
    pub async fn start_private() -> anyhow::Result<Self> {
        Self::start_private_syncing(JetStreamSync::Shipped).await
    }

    /// A private server that syncs as `sync` says.
    pub async fn start_private_syncing(sync: JetStreamSync) -> anyhow::Result<Self> {
        let port = free_port()?;
        let mut server = PrivateServer {
            port,
            store: tempfile::tempdir()?,
            sync,
            child: None,
        };
        server.spawn().await?;
        Ok(Self {
            url: format!("nats://127.0.0.1:{port}"),
            namespace: unique_name("t"),
            private: Some(server),
        })
    }

    /// A client in this test's namespace.
    pub async fn client(&self) -> anyhow::Result<platform::nats::Nats> {
        platform::nats::Nats::connect(&self.settings(), "test").await
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// A service's NATS settings for this server and namespace.
    pub fn settings(&self) -> platform::settings::NatsSettings {
        platform::settings::NatsSettings {
            url: self.url.clone(),
            namespace: self.namespace.clone(),
            ..Default::default()
        }
    }

    /// The process id of the private server while it runs (`None` for `TEST_NATS_URL`'s).
    pub fn pid(&self) -> Option<u32> {
        self.private.as_ref()?.child.as_ref().map(Child::id)
    }

    /// The prefix this test's streams, subjects and buckets live under.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// Stops the private server, keeping its store for a later [`TestNats::resume`].
    pub fn stop(&mut self) -> anyhow::Result<()> {
        let server = self
            .private
            .as_mut()
            .context("only a private server can be stopped")?;
        server.kill();
        Ok(())
    }

    /// Starts the private server again on the same port with the same store.
    pub async fn resume(&mut self) -> anyhow::Result<()> {
        let server = self
            .private
            .as_mut()
            .context("only a private server can be resumed")?;
        server.spawn().await
    }
}

impl PrivateServer {
    async fn spawn(&mut self) -> anyhow::Result<()> {
        let mut command = Command::new(nats_server_binary());
        if self.sync == JetStreamSync::Shipped {
            command.arg("-c").arg(shipped_configuration());
        }
        let child = command
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(self.store.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting nats-server (scripts/nats-server)")?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            anyhow::ensure!(
                Instant::now() < deadline,
                "nats-server did not listen on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The nats-server tests run: `NATS_SERVER_BIN`, else the project's pinned one
/// (`scripts/nats-server`, which installs it on first use), the server that ships.
pub fn nats_server_binary() -> PathBuf {
    std::env::var_os("NATS_SERVER_BIN")
        .map_or_else(|| repository_path("scripts/nats-server"), PathBuf::from)
}

/// The configuration a single server ships with (`deploy/local/nats.conf`: JetStream syncs
/// every message before it acknowledges it), so tests run NATS as production does.
pub fn shipped_configuration() -> PathBuf {
    repository_path("deploy/local/nats.conf")
}

fn repository_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}
