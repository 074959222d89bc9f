//! The real programs, run as an operator runs them: the `ecommerce` binary writing its JSON
//! log lines to a file (so a test can read what the service logged), and `cx-support`.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use test_support::http::ServiceClient;
use test_support::{TestDatabase, TestNats};

/// The `ecommerce` binary running on its own database and NATS, logging JSON lines to a file.
pub struct RunningService {
    pub api: ServiceClient,
    pub log: PathBuf,
    child: Child,
    environment: Vec<(String, String)>,
    dir: tempfile::TempDir,
    _nats: TestNats,
    // Dropped last: the database outlives the process using it.
    db: TestDatabase,
}

impl std::ops::Deref for RunningService {
    type Target = ServiceClient;

    fn deref(&self) -> &ServiceClient {
        &self.api
    }
}

impl Drop for RunningService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl RunningService {
    /// Starts the binary with its test settings plus `extra` variables (`ECOMMERCE__...`), and
    /// waits until it is ready.
    pub async fn start(extra: &[(&str, &str)]) -> Self {
        let nats = TestNats::start().await.expect("nats-server starts");
        let db = TestDatabase::create().expect("test database");
        let dir = tempfile::tempdir().unwrap();
        let port = test_support::free_port().unwrap();
        let mut environment: Vec<(String, String)> = [
            ("ECOMMERCE__HTTP__HOST", "127.0.0.1".to_owned()),
            ("ECOMMERCE__HTTP__PORT", port.to_string()),
            ("ECOMMERCE__HTTP__WORKERS", "2".to_owned()),
            ("ECOMMERCE__DATABASE__URL", db.url().to_owned()),
            ("ECOMMERCE__NATS__URL", nats.url().to_owned()),
            ("ECOMMERCE__NATS__NAMESPACE", nats.namespace().to_owned()),
            ("ECOMMERCE__DELIVERY__URL", String::new()),
            ("ECOMMERCE__LOG__FORMAT", "json".to_owned()),
            // Everything the service and the platform say, to show that none of it leaks.
            ("RUST_LOG", "info,ecommerce=debug,platform=debug".to_owned()),
        ]
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
        for (name, value) in extra {
            environment.retain(|(n, _)| n != name);
            environment.push(((*name).to_owned(), (*value).to_owned()));
        }
        let log = dir.path().join("ecommerce.log");
        let child = spawn_ecommerce(&environment, dir.path(), &log);
        let api = ServiceClient::new(format!("http://127.0.0.1:{port}"));
        api.wait_until_ready().await;
        Self {
            api,
            log,
            child,
            environment,
            dir,
            _nats: nats,
            db,
        }
    }

    /// Stops the process (as Ctrl-C or a pod's end would) and starts it again with `extra`
    /// variables changed and the `removed` ones gone, on the same database, NATS and log file.
    pub async fn restart_with(&mut self, extra: &[(&str, &str)], removed: &[&str]) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.environment
            .retain(|(name, _)| !removed.contains(&name.as_str()));
        for (name, value) in extra {
            self.environment.retain(|(n, _)| n != name);
            self.environment
                .push(((*name).to_owned(), (*value).to_owned()));
        }
        self.child = spawn_ecommerce(&self.environment, self.dir.path(), &self.log);
        self.api.wait_until_ready().await;
    }

    /// What the service has logged so far.
    pub fn log_text(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap()).into_owned()
    }

    pub fn database_url(&self) -> &str {
        self.db.url()
    }

    /// Runs `cx-support` with `args`, in the service's environment.
    pub fn cx_support(&self, args: &[&str]) -> Output {
        cx_support(args, &self.environment, None)
    }
}

fn spawn_ecommerce(environment: &[(String, String)], dir: &Path, log: &Path) -> Child {
    let out = File::options().create(true).append(true).open(log).unwrap();
    let err = out.try_clone().unwrap();
    Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .current_dir(dir)
        .env_remove("ECOMMERCE_CONFIG")
        .envs(environment.iter().map(|(n, v)| (n, v)))
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("the ecommerce binary starts")
}

/// Runs `cx-support` with `args` and `environment`, with `stdin` as its standard input.
pub fn cx_support(args: &[&str], environment: &[(String, String)], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cx-support"))
        .args(args)
        .env_remove("ECOMMERCE_CONFIG")
        .envs(environment.iter().map(|(n, v)| (n, v)))
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cx-support starts");
    let mut input = child.stdin.take().unwrap();
    if let Some(bytes) = stdin {
        input.write_all(bytes).unwrap();
    }
    drop(input);
    child.wait_with_output().unwrap()
}
