//! Purchases per second through the real HTTP API, against PostgreSQL's own benchmark on the
//! same server in the same run.
//!
//! `cargo bench -p ecommerce --bench purchases` runs the ecommerce release binary (the build
//! cargo makes for benchmarks) as a child process with everything running (outbox relay, order
//! consumers, a private nats-server), and loads it with wrk from a process of its own: one
//! thread, 64 connections, every request a real purchase of one unit with a fresh
//! `Idempotency-Key`. Two scenarios: purchases spread over 200 products, and every purchase on
//! one product (one hot row). Each runs three times: with group commit (the default), with one
//! transaction per purchase (`orders.group_commit.max_batch = 1`, the way before it), and with
//! group commit on a nats-server left at JetStream's default sync (every two minutes) instead
//! of the shipped one that syncs every message before acknowledging it.
//!
//! The purchase → event path: after each run, the time until the ORDERS stream holds an
//! `orders.created` event of every purchase answered (the outbox relay draining), and the
//! events per second over the run and that drain.
//!
//! The reference on PostgreSQL is `pgbench -M prepared` (TPC-B-like: five statements a
//! transaction) with as many clients, on a fresh database of the same server, run before and
//! after ours; the ratio is ours over the mean of the two. SQLite has no such reference.
//!
//! Knobs: `BENCH_SECONDS` (default 10), `BENCH_CONNECTIONS` (default 64), `BENCH_BACKENDS`
//! (default `sqlite,postgres`), `BENCH_POOL_SIZE` (default 16), `BENCH_PGBENCH_SCALE` (default
//! 1, pgbench's own), `BENCH_POSTGRES_URL`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use anyhow::Context;
use serde_json::{Value, json};
use test_support::bench::{WrkRun, cores, databases, env_or, wait_ready, wrk};
use test_support::{JetStreamSync, TestDatabase, TestNats, free_port};
use tokio::process::{Child, Command};

const PRODUCTS: usize = 200;
/// Requests walk the products with a prime stride, so neighbours rarely share a row.
const STRIDE: usize = 97;
const MODES: [(&str, usize, JetStreamSync); 3] = [
    ("group commit", 64, JetStreamSync::Shipped),
    ("one per purchase", 1, JetStreamSync::Shipped),
    (
        "group commit, NATS default sync",
        64,
        JetStreamSync::ServerDefault,
    ),
];
const SCENARIOS: [(&str, bool); 2] = [("200 products", false), ("one product", true)];

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    println!(
        "purchases benchmark: wrk, 1 thread, {connections} connections, {seconds} s per run, \
         the ecommerce release binary, {} cores",
        cores()
    );
    println!(
        "{:<9} {:<13} {:<31} {:>11} {:>7} {:>7} {:>7} {:>9} {:>6} {:>8} {:>8}",
        "backend",
        "scenario",
        "mode",
        "purchases/s",
        "p50 ms",
        "p99 ms",
        "other",
        "pgbench",
        "ratio",
        "drain s",
        "events/s"
    );
    for (backend, db) in databases() {
        run_backend(backend, &db, seconds, connections).await;
    }
}

async fn run_backend(backend: &str, db: &TestDatabase, seconds: u64, connections: usize) {
    let synced = TestNats::start_private().await.unwrap();
    let unsynced = TestNats::start_private_syncing(JetStreamSync::ServerDefault)
        .await
        .unwrap();
    let postgres = backend == "postgres";
    let before = if postgres {
        Some(pgbench(connections, seconds).await.unwrap())
    } else {
        None
    };
    let mut rows = Vec::new();
    for (i, (mode, max_batch, sync)) in MODES.into_iter().enumerate() {
        let nats = match sync {
            JetStreamSync::Shipped => &synced,
            JetStreamSync::ServerDefault => &unsynced,
        };
        let (mut service, base) = start(db, nats, max_batch).await;
        if i == 0 {
            create_products(&base).await;
        }
        let buyer = login(&base, "buyer@cargoexpress.test", "buyer-demo-2026").await;
        for (scenario, hot) in SCENARIOS {
            let script = purchase_script(&buyer, hot, &format!("{backend}-{i}-{hot}"));
            let before = stored_orders(nats).await;
            let run = wrk(&format!("{base}/orders"), &script, connections, seconds)
                .await
                .unwrap();
            let drained = drain_time(nats, before + run.requests - run.other).await;
            let events_per_second =
                drained.map(|d| (run.requests - run.other) as f64 / (seconds as f64 + d));
            rows.push((scenario, mode, run, drained, events_per_second));
        }
        let _ = service.start_kill();
        let _ = service.wait().await;
    }
    let after = if postgres {
        Some(pgbench(connections, seconds).await.unwrap())
    } else {
        None
    };
    let reference = before.zip(after).map(|(b, a)| (b + a) / 2.0);
    for (scenario, mode, run, drained, events_per_second) in rows {
        print_row(backend, scenario, mode, &run, reference);
        let shown = |value: Option<f64>, digits: usize| {
            value.map_or("-".to_owned(), |v| format!("{v:.digits$}"))
        };
        println!(
            " {:>8} {:>8}",
            shown(drained, 1),
            shown(events_per_second, 0)
        );
    }
    if let (Some(before), Some(after)) = (before, after) {
        println!("{backend:<9} pgbench -M prepared: {before:.0} tps before, {after:.0} tps after");
    }
}

fn print_row(backend: &str, scenario: &str, mode: &str, run: &WrkRun, reference: Option<f64>) {
    let (pgbench, ratio) = match reference {
        Some(tps) => (
            format!("{tps:.0}"),
            format!("{:.2}", run.ok_per_second / tps),
        ),
        None => ("-".to_owned(), "-".to_owned()),
    };
    print!(
        "{backend:<9} {scenario:<13} {mode:<31} {:>11.0} {:>7.1} {:>7.1} {:>7} {pgbench:>9} {ratio:>6}",
        run.ok_per_second, run.p50_ms, run.p99_ms, run.other
    );
}

/// The messages the ORDERS stream holds (0 before it exists).
async fn stored_orders(nats: &TestNats) -> u64 {
    let client = nats.client().await.unwrap();
    let name = client.namespace().stream_name(&contracts::streams::ORDERS);
    match client.jetstream().get_stream(&name).await {
        Ok(mut stream) => stream.info().await.map_or(0, |info| info.state.messages),
        Err(_) => 0,
    }
}

/// Seconds until the ORDERS stream holds `expected` messages (the outbox relay drained after a
/// run); `None` if it does not within two minutes.
async fn drain_time(nats: &TestNats, expected: u64) -> Option<f64> {
    let started = std::time::Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        if stored_orders(nats).await >= expected {
            return Some(started.elapsed().as_secs_f64());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Starts the release binary on `db` with batches of at most `max_batch` purchases.
async fn start(db: &TestDatabase, nats: &TestNats, max_batch: usize) -> (Child, String) {
    let port = free_port().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .env("ECOMMERCE_CONFIG", "/nonexistent/ecommerce.toml")
        .env("ECOMMERCE__HTTP__PORT", port.to_string())
        .env("ECOMMERCE__DATABASE__URL", db.url())
        .env(
            "ECOMMERCE__DATABASE__POOL_SIZE",
            env_or("BENCH_POOL_SIZE", 16).to_string(),
        )
        .env("ECOMMERCE__NATS__URL", nats.url())
        .env("ECOMMERCE__NATS__NAMESPACE", nats.namespace())
        .env("ECOMMERCE__DELIVERY__URL", "")
        .env("ECOMMERCE__LOG__LEVEL", "error")
        .env(
            "ECOMMERCE__ORDERS__GROUP_COMMIT__MAX_BATCH",
            max_batch.to_string(),
        )
        .kill_on_drop(true)
        .spawn()
        .expect("the ecommerce binary starts");
    let base = format!("http://127.0.0.1:{port}");
    wait_ready(&client(), &base, Duration::from_secs(60)).await;
    (child, base)
}

async fn create_products(base: &str) {
    let seller = login(base, "seller@cargoexpress.test", "seller-demo-2026").await;
    let client = client();
    for i in 0..PRODUCTS {
        let body = json!({"sku": format!("BENCH-{i}"), "name": format!("Bench {i}"), "description": "bench", "price": 1.25, "quantity": 1_000_000_000});
        let response = client
            .post(format!("{base}/products"))
            .bearer_auth(&seller)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "creating products: {}",
            response.status()
        );
    }
}

/// wrk's Lua: each request buys one unit with a key no other request of the run uses.
fn purchase_script(token: &str, hot: bool, run: &str) -> String {
    let sku = if hot {
        "\"BENCH-0\"".to_owned()
    } else {
        format!("\"BENCH-\" .. ((n * {STRIDE}) % {PRODUCTS})")
    };
    format!(
        r#"local n = 0
request = function()
  n = n + 1
  local body = '{{"lines":[{{"sku":"' .. {sku} .. '","quantity":1}}],"delivery":{{"name":"Bench Buyer","address":"Calle 1 # 2-3, Bogota"}}}}'
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}", ["Idempotency-Key"] = "{run}-" .. n}}, body)
end
"#
    )
}

/// pgbench's TPC-B-like transactions per second with `clients` clients, prepared statements,
/// on a fresh database of the benchmark's PostgreSQL.
async fn pgbench(clients: usize, seconds: u64) -> anyhow::Result<f64> {
    let db = test_support::bench::database("postgres")?;
    let scale: u32 = env_or("BENCH_PGBENCH_SCALE", 1);
    let init = Command::new("pgbench")
        .args(["-i", "-q", "-s", &scale.to_string(), db.url()])
        .output()
        .await
        .context("pgbench does not run (Debian's postgresql-client)")?;
    anyhow::ensure!(
        init.status.success(),
        "pgbench -i: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let run = Command::new("pgbench")
        .args(["-M", "prepared", "-n", "-j", "1"])
        .args([
            "-c",
            &clients.to_string(),
            "-T",
            &seconds.to_string(),
            db.url(),
        ])
        .output()
        .await?;
    let report = String::from_utf8_lossy(&run.stdout);
    anyhow::ensure!(
        run.status.success(),
        "pgbench: {report}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    report
        .lines()
        .find_map(|line| line.strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|tps| tps.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench's report: {report}"))
}

async fn login(base: &str, email: &str, password: &str) -> String {
    let body: Value = client()
        .post(format!("{base}/auth/login"))
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().expect("a token").to_owned()
}

fn client() -> reqwest::Client {
    platform::http_client::builder().build().unwrap()
}
