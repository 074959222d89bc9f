//! Purchases per second through the real HTTP API, on SQLite and on PostgreSQL.
//!
//! `cargo bench -p ecommerce --bench purchases` starts the service in-process (outbox relay
//! and order consumers running, a private nats-server), registers buyers, and for each backend
//! runs two scenarios for a fixed time: every purchase on a different product (no contention),
//! and every purchase on the same product (one hot row). It prints purchases per second and
//! latency percentiles. PostgreSQL runs when `BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable`) answers. The load generator shares the
//! machine's cores with the service, so the figures are a floor, not a ceiling.
//!
//! Knobs: `BENCH_SECONDS` (default 10), `BENCH_CONCURRENCY` (default 64), `BENCH_BACKENDS`
//! (default `sqlite,postgres`), `BENCH_POOL_SIZE` (default 16).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use ecommerce::config::Settings;
use ecommerce::startup::Application;
use platform::settings::{DatabaseSettings, HttpSettings};
use serde_json::{Value, json};
use test_support::bench::{cores, databases, env_or, wait_ready};
use test_support::{TestDatabase, TestNats};

const PRODUCTS: usize = 200;
/// Each buyer walks the products with a prime stride, so buyers rarely meet on one row.
const STRIDE: usize = 97;

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 64);
    println!(
        "purchases benchmark: {seconds} s per scenario, {concurrency} concurrent buyers, {} cores",
        cores()
    );
    println!(
        "{:<11} {:<14} {:>12} {:>9} {:>9} {:>9} {:>8}",
        "backend", "scenario", "purchases/s", "p50 ms", "p99 ms", "refused", "errors"
    );

    // Each backend is created just before its run, so PostgreSQL does not sit idle meanwhile.
    for (backend, db) in databases() {
        run_backend(backend, db, seconds, concurrency).await;
    }
}

async fn run_backend(backend: &str, db: TestDatabase, seconds: u64, concurrency: usize) {
    let nats = TestNats::start_private().await.unwrap();
    let settings = Settings {
        http: HttpSettings::with_port(0),
        database: DatabaseSettings {
            url: db.url().to_owned(),
            pool_size: env_or("BENCH_POOL_SIZE", 16),
        },
        nats: nats.settings(),
        ..Settings::default()
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    let client = platform::http_client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    wait_ready(&client, &base, Duration::from_secs(5)).await;

    let seller = login(
        &client,
        &base,
        "seller@cargoexpress.test",
        "seller-demo-2026",
    )
    .await;
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
    let mut buyers = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let email = format!("bench{i}@buyers.test");
        let body = json!({"email": email, "password": "bench-kettle-2026", "name": format!("Buyer {i}"), "shipping_address": "Calle 1 # 2-3, Bogotá"});
        client
            .post(format!("{base}/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        buyers.push(login(&client, &base, &email, "bench-kettle-2026").await);
    }

    for (scenario, hot) in [("uncontended", false), ("one product", true)] {
        let result = measure(&client, &base, &buyers, hot, Duration::from_secs(seconds)).await;
        println!(
            "{backend:<11} {scenario:<14} {:>12.0} {:>9.2} {:>9.2} {:>9} {:>8}",
            result.ok as f64 / result.elapsed.as_secs_f64(),
            result.percentile(0.50),
            result.percentile(0.99),
            result.refused,
            result.errors
        );
    }
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;
}

struct Measurement {
    ok: u64,
    refused: u64,
    errors: u64,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

impl Measurement {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return 0.0;
        }
        let index = ((self.latencies_ms.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_ms[index]
    }
}

/// Every buyer purchases in a loop until the time is up.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    buyers: &[String],
    hot: bool,
    duration: Duration,
) -> Measurement {
    let running = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let mut workers = Vec::new();
    for (n, token) in buyers.iter().enumerate() {
        let (client, url, token, running) = (
            client.clone(),
            format!("{base}/orders"),
            token.clone(),
            running.clone(),
        );
        workers.push(tokio::spawn(async move {
            let (mut ok, mut refused, mut errors, mut latencies) = (0u64, 0u64, 0u64, Vec::new());
            let mut i = n;
            while running.load(Ordering::Relaxed) {
                let sku = if hot { "BENCH-0".to_owned() } else { format!("BENCH-{}", i % PRODUCTS) };
                i += STRIDE;
                let body = json!({"lines": [{"sku": sku, "quantity": 1}], "delivery": {"name": "Bench Buyer", "address": "Calle 1 # 2-3, Bogotá"}});
                let sent = Instant::now();
                match client.post(&url).bearer_auth(&token).json(&body).send().await {
                    Ok(response) if response.status().as_u16() == 201 => {
                        let _: Value = response.json().await.unwrap_or_default();
                        ok += 1;
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    }
                    Ok(response) if response.status().as_u16() == 409 => refused += 1,
                    _ => errors += 1,
                }
            }
            (ok, refused, errors, latencies)
        }));
    }
    tokio::time::sleep(duration).await;
    running.store(false, Ordering::Relaxed);
    let mut total = Measurement {
        ok: 0,
        refused: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_ms: Vec::new(),
    };
    for worker in workers {
        let (ok, refused, errors, latencies) = worker.await.unwrap();
        total.ok += ok;
        total.refused += refused;
        total.errors += errors;
        total.latencies_ms.extend(latencies);
    }
    total.elapsed = started.elapsed();
    total.latencies_ms.sort_by(|a, b| a.total_cmp(b));
    total
}

async fn login(client: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let body: Value = client
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
