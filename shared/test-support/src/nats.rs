use std::path::PathBuf;
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
    child: Option<Child>,
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
        let port = free_port()?;
        let mut server = PrivateServer {
            port,
            store: tempfile::tempdir()?,
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
        let child = Command::new(nats_server_binary())
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
            .context("starting nats-server (install it with `apt-get install -y nats-server`)")?;
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

/// `NATS_SERVER_BIN`, else `nats-server` on the PATH, else Debian's `/usr/sbin/nats-server`.
pub fn nats_server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("NATS_SERVER_BIN") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH")
        .map(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("nats-server"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .find(|candidate| candidate.is_file());
    on_path.unwrap_or_else(|| PathBuf::from("/usr/sbin/nats-server"))
}
