//! What the benchmark binaries share: their knobs and the databases they run on.

use crate::TestDatabase;

/// A knob from the environment, e.g. `env_or("BENCH_SECONDS", 10)`.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The databases to measure, in order: SQLite, then PostgreSQL at `BENCH_POSTGRES_URL`
/// (default the local server) when it answers; `BENCH_BACKENDS` (default `sqlite,postgres`)
/// picks. A PostgreSQL that does not answer is reported and skipped.
pub fn databases() -> Vec<(&'static str, TestDatabase)> {
    let wanted = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".to_owned());
    let mut databases = Vec::new();
    for backend in ["sqlite", "postgres"] {
        if !wanted.contains(backend) {
            continue;
        }
        match database(backend) {
            Ok(db) => databases.push((backend, db)),
            Err(error) => println!("{backend:<11} skipped: {error}"),
        }
    }
    databases
}

/// A fresh database of `backend` (`sqlite`, or `postgres` at `BENCH_POSTGRES_URL`, default the
/// local server), for a benchmark that needs more than one per backend.
pub fn database(backend: &str) -> anyhow::Result<TestDatabase> {
    if backend == "sqlite" {
        return TestDatabase::sqlite();
    }
    let url = std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| {
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
    });
    TestDatabase::postgres(&url)
}

/// Waits until the service at `base` answers `/readyz` with success; panics after `within`.
pub async fn wait_ready(client: &reqwest::Client, base: &str, within: std::time::Duration) {
    let deadline = std::time::Instant::now() + within;
    loop {
        let ready = client.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the service at {base} never became ready"
        );
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
}

/// The machine's cores, for the benchmark's header line.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}
