//! A burst of log-ins: ecommerce's memory and log-in rate, against the former way of hashing.
//!
//! `cargo bench -p ecommerce --bench logins` runs the real ecommerce binary (the release build
//! cargo makes for benchmarks) as a child process, on SQLite and a private nats-server, once
//! per password hashing strategy: `unbounded_blocking` first (the former way: every hash on
//! tokio's blocking pool), the reference, then `pool` (the default). Each run fires all its
//! log-ins at once over HTTP and prints the service's resident memory (VmRSS of
//! /proc/<pid>/status) before the burst, at its peak (VmHWM), right after it, 2 s later (the
//! hashing threads give their memory back after 1 s idle) and once settled, its most threads,
//! and its log-in rate. A bare Argon2id verify loop on one thread per core, with no service
//! around it, run just before each burst, gives the machine's ceiling at that moment (other
//! work on a shared machine moves it). Nothing is asserted: read the ratios.
//!
//! The log-in throttle's free failures are raised so that a thousand log-ins from one address
//! at once are not refused; its bookkeeping still runs on every log-in.
//!
//! Knobs: `BENCH_LOGINS` (default 1000), `BENCH_SETTLE_SECONDS` (default 12: tokio retires its
//! idle blocking threads after 10 s), `BENCH_BARE_SECONDS` (default 5), `BENCH_STRATEGIES`
//! (default `unbounded_blocking,pool`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Argon2, PasswordHash};
use ecommerce::domain::demo_accounts::{
    DEMO_ACCOUNTS, DEMO_COURIER_PASSWORD, DEMO_FLEET, demo_courier_email,
};
use serde_json::json;
use test_support::bench::{cores, env_or, wait_ready};
use test_support::{TestDatabase, TestNats, free_port};
use tokio::process::{Child, Command};

const STRATEGIES: [&str; 2] = ["unbounded_blocking", "pool"];

#[tokio::main]
async fn main() {
    let logins: usize = env_or("BENCH_LOGINS", 1000);
    let settle = Duration::from_secs(env_or("BENCH_SETTLE_SECONDS", 12));
    let bare_seconds: u64 = env_or("BENCH_BARE_SECONDS", 5);
    let accounts = accounts();
    println!(
        "log-in burst benchmark: {logins} log-ins at once over {} accounts, {} cores, the ecommerce \
         release binary on SQLite",
        accounts.len(),
        cores()
    );
    println!(
        "ceiling: a bare Argon2id verify loop on {} threads, no service, just before each burst\n",
        cores()
    );
    println!(
        "{:<19} {:>5} {:>8} {:>8} {:>5} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "strategy",
        "load",
        "logins/s",
        "ceiling",
        "ok",
        "other",
        "RSS MB",
        "peak",
        "right",
        "2 s",
        "settled",
        "most"
    );
    println!(
        "{:<19} {:>5} {:>8} {:>8} {:>5} {:>5} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "", "1 min", "", "/s", "", "", "before", "MB", "after", "after", "after", "threads"
    );
    let nats = TestNats::start_private().await.unwrap();
    let wanted = std::env::var("BENCH_STRATEGIES").unwrap_or_else(|_| STRATEGIES.join(","));
    let mut runs = Vec::new();
    for strategy in STRATEGIES.into_iter().filter(|s| wanted.contains(s)) {
        // The machine's load from other work, before this run adds its own.
        let load = load_average();
        let ceiling = bare_verify_rate(cores(), Duration::from_secs(bare_seconds));
        let run = burst(strategy, &nats, &accounts, logins, settle, ceiling).await;
        println!(
            "{strategy:<19} {load:>5} {:>8.1} {:>8.1} {:>5} {:>5} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7}",
            run.rate,
            run.ceiling,
            run.ok,
            run.other,
            mb(run.before.rss_kb),
            mb(run.peak_kb),
            mb(run.right_after.rss_kb),
            mb(run.two_seconds_after.rss_kb),
            mb(run.settled.rss_kb),
            run.most_threads
        );
        runs.push((strategy, run));
    }
    println!();
    let run_of = |name: &str| runs.iter().find(|(s, _)| *s == name).map(|(_, run)| run);
    if let Some(pool) = run_of("pool") {
        let settled = mb(pool.settled.rss_kb);
        println!(
            "target, RSS after the burst under 60 MB: {} ({settled:.1} MB settled, {:.1} MB 2 s after)",
            if settled < 60.0 { "met" } else { "NOT met" },
            mb(pool.two_seconds_after.rss_kb)
        );
        println!(
            "pool log-in rate vs its ceiling: {:.2}",
            pool.rate / pool.ceiling
        );
    }
    let (Some(reference), Some(pool)) = (run_of("unbounded_blocking"), run_of("pool")) else {
        return;
    };
    println!(
        "pool vs unbounded_blocking: log-in rate x{:.2}, peak RSS x{:.2}, settled RSS x{:.2}",
        pool.rate / reference.rate,
        pool.peak_kb as f64 / reference.peak_kb as f64,
        pool.settled.rss_kb as f64 / reference.settled.rss_kb as f64
    );
    println!(
        "unbounded_blocking log-in rate vs its ceiling: {:.2}",
        reference.rate / reference.ceiling
    );
    println!(
        "pool vs unbounded_blocking, each against its ceiling: x{:.2}",
        (pool.rate / pool.ceiling) / (reference.rate / reference.ceiling)
    );
}

/// The 1-minute load average, as /proc/loadavg says it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Every demo account with its password: the six of the README and the rest of the fleet.
fn accounts() -> Vec<(String, String)> {
    let per_role = DEMO_ACCOUNTS
        .iter()
        .map(|demo| (demo.email.to_owned(), demo.password.to_owned()));
    let fleet = DEMO_FLEET
        .iter()
        .skip(1)
        .map(|(id, _)| (demo_courier_email(*id), DEMO_COURIER_PASSWORD.to_owned()));
    per_role.chain(fleet).collect()
}

/// Argon2id verifications per second on `threads` threads, each with the crate's own
/// allocation, for `duration`.
fn bare_verify_rate(threads: usize, duration: Duration) -> f64 {
    let salt = SaltString::generate(&mut OsRng);
    let stored = Argon2::default()
        .hash_password(b"bare-loop-password", &salt)
        .unwrap()
        .to_string();
    let running = Arc::new(AtomicBool::new(true));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (stored, running, done) = (stored.clone(), running.clone(), done.clone());
            std::thread::spawn(move || {
                let hash = PasswordHash::new(&stored).unwrap();
                while running.load(Ordering::Relaxed) {
                    Argon2::default()
                        .verify_password(b"bare-loop-password", &hash)
                        .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    std::thread::sleep(duration);
    running.store(false, Ordering::Relaxed);
    workers.into_iter().for_each(|w| w.join().unwrap());
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

#[derive(Debug, Clone, Copy, Default)]
struct Status {
    rss_kb: u64,
    peak_kb: u64,
    threads: u64,
}

/// VmRSS, VmHWM and Threads of process `pid`.
fn status(pid: u32) -> Status {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    Status {
        rss_kb: field("VmRSS:"),
        peak_kb: field("VmHWM:"),
        threads: field("Threads:"),
    }
}

struct Run {
    rate: f64,
    /// The bare verify loop's rate just before the burst.
    ceiling: f64,
    ok: usize,
    other: usize,
    before: Status,
    peak_kb: u64,
    right_after: Status,
    two_seconds_after: Status,
    settled: Status,
    most_threads: u64,
}

/// Starts ecommerce with `strategy`, fires `logins` log-ins at once, measures, stops it.
async fn burst(
    strategy: &str,
    nats: &TestNats,
    accounts: &[(String, String)],
    logins: usize,
    settle: Duration,
    ceiling: f64,
) -> Run {
    let db = TestDatabase::sqlite().unwrap();
    let port = free_port().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let service = start_service(strategy, port, nats, &db);
    let pid = service.id().unwrap();
    let client = platform::http_client::builder()
        .pool_max_idle_per_host(logins)
        .timeout(Duration::from_secs(300))
        .build()
        .unwrap();
    wait_ready(&client, &base, Duration::from_secs(60)).await;
    // Start-up hashed the demo passwords; let that memory settle as it would.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = status(pid);

    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut most_threads = 0;
            while sampling.load(Ordering::Relaxed) {
                most_threads = most_threads.max(status(pid).threads);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            most_threads
        })
    };
    let started = Instant::now();
    let requests = (0..logins).map(|n| {
        let (email, password) = &accounts[n % accounts.len()];
        let request = client
            .post(format!("{base}/auth/login"))
            .json(&json!({"email": email, "password": password}));
        tokio::spawn(async move { request.send().await.map(|r| r.status().as_u16()) })
    });
    let answers = futures_util::future::join_all(requests.collect::<Vec<_>>()).await;
    let elapsed = started.elapsed();
    // A thousand people would close their connections now; so does the benchmark.
    drop(client);
    let right_after = status(pid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let two_seconds_after = status(pid);
    tokio::time::sleep(settle.saturating_sub(Duration::from_secs(2))).await;
    sampling.store(false, Ordering::Relaxed);
    let most_threads = sampler.await.unwrap();
    let settled = status(pid);
    let ok = answers.iter().filter(|a| matches!(a, Ok(Ok(200)))).count();
    stop_service(service).await;
    Run {
        rate: ok as f64 / elapsed.as_secs_f64(),
        ceiling,
        ok,
        other: answers.len() - ok,
        before,
        peak_kb: settled.peak_kb,
        right_after,
        two_seconds_after,
        settled,
        most_threads,
    }
}

fn start_service(strategy: &str, port: u16, nats: &TestNats, db: &TestDatabase) -> Child {
    let nats = nats.settings();
    Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .env("ECOMMERCE_CONFIG", "/nonexistent/ecommerce.toml")
        .env("ECOMMERCE__HTTP__PORT", port.to_string())
        .env("ECOMMERCE__DATABASE__URL", db.url())
        .env("ECOMMERCE__NATS__URL", &nats.url)
        .env("ECOMMERCE__NATS__NAMESPACE", &nats.namespace)
        .env("ECOMMERCE__DELIVERY__URL", "")
        .env("ECOMMERCE__LOG__LEVEL", "error")
        .env("ECOMMERCE__AUTH__HASHING__STRATEGY", strategy)
        .env(
            "ECOMMERCE__LOGIN_THROTTLE__ACCOUNT_FREE_FAILURES",
            "1000000",
        )
        .env(
            "ECOMMERCE__LOGIN_THROTTLE__ADDRESS_FREE_FAILURES",
            "1000000",
        )
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the ecommerce binary starts")
}

async fn stop_service(mut service: Child) {
    let _ = service.start_kill();
    let _ = service.wait().await;
}
