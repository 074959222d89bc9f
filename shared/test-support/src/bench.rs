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
    if wanted.contains("sqlite") {
        match TestDatabase::sqlite() {
            Ok(db) => databases.push(("sqlite", db)),
            Err(error) => println!("sqlite      skipped: {error}"),
        }
    }
    if wanted.contains("postgres") {
        let url = std::env::var("BENCH_POSTGRES_URL").unwrap_or_else(|_| {
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".to_owned()
        });
        match TestDatabase::postgres(&url) {
            Ok(db) => databases.push(("postgres", db)),
            Err(error) => println!("postgres    skipped: {error}"),
        }
    }
    databases
}

/// The machine's cores, for the benchmark's header line.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}
