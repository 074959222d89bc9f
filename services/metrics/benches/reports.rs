//! The courier report path under load: ingest (HTTP → JetStream ack) and metrics (consumer →
//! rollups → API), in one process on this machine, against a private nats-server.
//!
//! `cargo bench -p metrics-service --bench reports` prints, per metrics database:
//! 1. full speed: `BENCH_CONNECTIONS` (default 64) clients post seed 000 reports back to back for
//!    `BENCH_SECONDS` (default 10): accepted reports per second and HTTP latency p50/p99;
//! 2. a fixed rate of `BENCH_RATE` (default 5,000) reports/s, open loop (latency counts from the
//!    moment each report was due, so a stall is not hidden): HTTP latency p50/p99;
//! 3. a fixed rate of `BENCH_METRIC_RATE` (default 2,000) reports/s while a poller reads the
//!    report count from the metrics API every 5 ms: time from each report's send to the API
//!    counting it, p50/p99 (the n-th report counts as seen when the count first reaches n).
//!
//! Every report is authenticated (a courier JWT, verified with Ed25519), checked against the
//! catalog and fleet, and answered only after JetStream acknowledged it. SQLite and PostgreSQL as
//! in the other benchmarks (`BENCH_BACKENDS`, `BENCH_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::auth::{DEMO_SIGNING_KEY_PEM, JwtIssuer, Role, TokenSubject};
use platform::settings::{DatabaseSettings, HttpSettings};
use serde_json::Value;
use test_support::TestNats;
use test_support::bench::{cores, databases, env_or};
use tokio::time::Instant;

struct Target {
    /// `127.0.0.1:<port>` of ingest.
    ingest: String,
    metrics: String,
    http: reqwest::Client,
    couriers: Vec<String>,
    viewer: String,
    /// Idle keep-alive connections to ingest.
    idle: std::sync::Mutex<Vec<Connection>>,
    /// Report ids are this plus the number of reports sent before.
    run_id: u128,
    sent: AtomicUsize,
    stamp: std::sync::Mutex<(Instant, String)>,
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    let rate: u64 = env_or("BENCH_RATE", 5_000);
    let metric_rate: u64 = env_or("BENCH_METRIC_RATE", 2_000);
    println!(
        "report benchmark: {seconds} s per phase, {connections} connections at full speed, {} cores",
        cores()
    );
    for (backend, db) in databases() {
        let nats = TestNats::start_private().await.unwrap();
        let target = start(&nats, db.url()).await;
        println!("-- metrics on {backend}");
        let full = load(&target, Load::FullSpeed(connections), seconds).await;
        full.print("full speed");
        let fixed = load(&target, Load::Rate(rate), seconds).await;
        fixed.print(&format!("{rate}/s"));
        settle(&target).await;
        report_to_metric(&target, metric_rate, seconds).await;
    }
}

/// Starts ingest and metrics on `nats`, metrics on the database at `url`.
async fn start(nats: &TestNats, url: &str) -> Arc<Target> {
    test_support::reference::publish(nats.url(), nats.namespace())
        .await
        .unwrap();
    let issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, "cargo-express", 3600).unwrap();
    let nats_settings = nats.settings();
    let reports = ingest::config::Settings {
        http: HttpSettings::with_port(0),
        nats: nats_settings.clone(),
        ..Default::default()
    };
    let reports =
        ingest::startup::Application::build_with_verifier(reports, issuer.verifier().unwrap())
            .await
            .unwrap();
    let ingest = format!("127.0.0.1:{}", reports.port());
    tokio::spawn(reports.run_until_stopped());
    let numbers = metrics_service::config::Settings {
        http: HttpSettings::with_port(0),
        database: DatabaseSettings {
            url: url.to_owned(),
            pool_size: 8,
        },
        nats: nats_settings,
        ..Default::default()
    };
    let numbers = metrics_service::startup::Application::build_with_verifier(
        numbers,
        issuer.verifier().unwrap(),
    )
    .await
    .unwrap();
    let metrics = format!("http://127.0.0.1:{}", numbers.port());
    tokio::spawn(numbers.run_until_stopped());
    let token = |role, courier_id| {
        issuer
            .issue(TokenSubject {
                user_id: format!("bench-{courier_id:?}"),
                email: "bench@cargoexpress.test".to_owned(),
                role,
                seller_id: None,
                courier_id,
                generation: 0,
            })
            .unwrap()
            .access_token
    };
    let target = Target {
        ingest,
        metrics,
        http: platform::http_client::builder()
            .pool_max_idle_per_host(1024)
            .build()
            .unwrap(),
        couriers: (101..=110)
            .map(|id| token(Role::Courier, Some(id)))
            .collect(),
        viewer: token(Role::OperationsViewer, None),
        idle: std::sync::Mutex::default(),
        run_id: uuid::Uuid::new_v4().as_u128() & !u128::from(u64::MAX),
        sent: AtomicUsize::new(0),
        stamp: std::sync::Mutex::new((Instant::now() - Duration::from_secs(1), String::new())),
    };
    // Ready once ingest has the reference data: an unknown product is then a 422, not a 503.
    loop {
        if target.report(0, &["pk9999"]).await.ok() == Some(422) {
            return Arc::new(target);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl Target {
    /// Posts a seed 000 report by courier `101 + n % 10`; returns the HTTP status. The body is
    /// formatted by hand and its id derived from a counter: the generator must stay cheap.
    async fn report(&self, n: usize, skus: &[&str]) -> std::io::Result<u16> {
        let courier = n % self.couriers.len();
        let id = self.run_id + self.sent.fetch_add(1, Ordering::Relaxed) as u128;
        let id = uuid::Uuid::from_u128(id);
        let products: Vec<String> = skus
            .iter()
            .map(|sku| format!(r#"{{"IdProducto":"{sku}"}}"#))
            .collect();
        let body = format!(
            r#"{{"pedido_id":"{id}","repartidor":{{"IdRepartidor":{},"Nombre":"bench"}},"productos":[{}],"timestamp":"{}"}}"#,
            101 + courier,
            products.join(","),
            self.timestamp(),
        );
        let token = &self.couriers[courier];
        let pooled = self.idle.lock().unwrap().pop();
        let (mut connection, status) = match pooled {
            Some(mut connection) => match connection.post(REPORT_PATH, token, &body).await {
                Ok(status) => (connection, status),
                // The server closed the idle connection: a fresh one, as any client would.
                Err(_) => {
                    let mut fresh = Connection::open(&self.ingest).await?;
                    let status = fresh.post(REPORT_PATH, token, &body).await?;
                    (fresh, status)
                }
            },
            None => {
                let mut fresh = Connection::open(&self.ingest).await?;
                let status = fresh.post(REPORT_PATH, token, &body).await?;
                (fresh, status)
            }
        };
        connection.buffer.clear();
        self.idle.lock().unwrap().push(connection);
        Ok(status)
    }

    /// Now in Bogotá as seed 000 writes it, formatted at most once per 100 ms.
    fn timestamp(&self) -> String {
        let mut stamp = self.stamp.lock().unwrap();
        if stamp.0.elapsed() > Duration::from_millis(100) {
            let bogota = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
            let now = chrono::Utc::now().with_timezone(&bogota);
            *stamp = (
                Instant::now(),
                now.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            );
        }
        stamp.1.clone()
    }

    /// Reports the metrics API counts in the last hour.
    async fn counted(&self) -> i64 {
        let from = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
        let answer: Value = self
            .http
            .get(format!("{}/v1/metrics/ingest-lag", self.metrics))
            .query(&[("from", from)])
            .bearer_auth(&self.viewer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["reports"].as_i64().unwrap()
    }
}

const REPORT_PATH: &str = "/registrar_pedido_entregado";

const PRODUCTS: [&[&str]; 4] = [
    &["pk0001"],
    &["pk0004", "pk0004", "pk0002"],
    &["pk0003", "pk0005", "pk0006", "pk0007", "pk0008"],
    &[
        "pk0009", "pk0010", "pk0010", "pk0001", "pk0002", "pk0003", "pk0004", "pk0005", "pk0006",
        "pk0007",
    ],
];

enum Load {
    FullSpeed(usize),
    Rate(u64),
}

struct Outcome {
    accepted: usize,
    failed: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Outcome {
    fn print(&self, phase: &str) {
        let mut latencies = self.latencies.clone();
        latencies.sort();
        println!(
            "{phase:<12} accepted {:>7} ({:>6.0}/s)  failed {:>4}  HTTP p50 {:>7.2} ms  p99 {:>7.2} ms",
            self.accepted,
            self.accepted as f64 / self.elapsed.as_secs_f64(),
            self.failed,
            percentile(&latencies, 0.50).as_secs_f64() * 1e3,
            percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// Sends report `n`, due at `due`; returns whether it was accepted and its latency from `due`.
async fn send(target: &Target, n: usize, due: Instant) -> (bool, Duration) {
    let status = target.report(n, PRODUCTS[n % PRODUCTS.len()]).await;
    (status.is_ok_and(|s| s == 200), due.elapsed())
}

/// A bare HTTP/1.1 keep-alive connection: the load generator shares the machine's two cores
/// with the services, so it must cost little per request (a general-purpose client cost about
/// as much as the handler it measured).
struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    async fn open(address: &str) -> std::io::Result<Self> {
        let stream = tokio::net::TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Sends a JSON POST and reads the whole answer; returns its status code.
    async fn post(&mut self, path: &str, token: &str, body: &str) -> std::io::Result<u16> {
        use tokio::io::AsyncWriteExt;
        let request = format!(
            "POST {path} HTTP/1.1\r\nhost: ingest\r\nauthorization: Bearer {token}\r\n\
             content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).await?;
        self.buffer.clear();
        let broken = || std::io::Error::other("malformed answer");
        loop {
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end]).map_err(|_| broken())?;
                let status: u16 = head
                    .get(9..12)
                    .and_then(|code| code.parse().ok())
                    .ok_or_else(broken)?;
                let length: usize = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .unwrap_or(0);
                while self.buffer.len() < end + 4 + length {
                    self.read_more().await?;
                }
                return Ok(status);
            }
            self.read_more().await?;
        }
    }

    async fn read_more(&mut self) -> std::io::Result<()> {
        use tokio::io::AsyncReadExt;
        let mut chunk = [0u8; 4096];
        let read = self.stream.read(&mut chunk).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

async fn load(target: &Arc<Target>, load: Load, seconds: u64) -> Outcome {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    match load {
        Load::FullSpeed(connections) => {
            for _ in 0..connections {
                let (target, next) = (target.clone(), next.clone());
                tasks.push(tokio::spawn(async move {
                    let mut results = Vec::new();
                    while Instant::now() < deadline {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        results.push(send(&target, n, Instant::now()).await);
                    }
                    results
                }));
            }
        }
        Load::Rate(rate) => {
            let interval = Duration::from_secs_f64(1.0 / rate as f64);
            let total = rate * seconds;
            for n in 0..total as usize {
                let due = started + interval * n as u32;
                tokio::time::sleep_until(due).await;
                let target = target.clone();
                tasks.push(tokio::spawn(
                    async move { vec![send(&target, n, due).await] },
                ));
            }
        }
    }
    let mut outcome = Outcome {
        accepted: 0,
        failed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        for (accepted, latency) in task.await.unwrap() {
            if accepted {
                outcome.accepted += 1;
            } else {
                outcome.failed += 1;
            }
            outcome.latencies.push(latency);
        }
    }
    outcome.elapsed = started.elapsed();
    outcome
}

/// Waits until the metrics have counted everything sent so far.
async fn settle(target: &Target) {
    let mut last = -1;
    loop {
        let now = target.counted().await;
        if now == last {
            return;
        }
        last = now;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn report_to_metric(target: &Arc<Target>, rate: u64, seconds: u64) {
    let baseline = target.counted().await;
    let observations = Arc::new(std::sync::Mutex::new(Vec::<(Instant, i64)>::new()));
    let stop = tokio_util::sync::CancellationToken::new();
    let poller = {
        let (target, observations, stop) = (target.clone(), observations.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.is_cancelled() {
                let count = target.counted().await - baseline;
                observations.lock().unwrap().push((Instant::now(), count));
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let started = Instant::now();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let total = (rate * seconds) as usize;
    let sends: Vec<Instant> = (0..total).map(|n| started + interval * n as u32).collect();
    let mut tasks = Vec::new();
    for (n, due) in sends.iter().enumerate() {
        tokio::time::sleep_until(*due).await;
        let target = target.clone();
        let due = *due;
        tasks.push(tokio::spawn(async move { send(&target, n, due).await.0 }));
    }
    let mut accepted = 0;
    for task in tasks {
        accepted += usize::from(task.await.unwrap());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while observations
        .lock()
        .unwrap()
        .last()
        .is_none_or(|(_, c)| (*c as usize) < accepted)
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    poller.await.unwrap();
    let observations = observations.lock().unwrap();
    let mut latencies: Vec<Duration> = sends
        .iter()
        .take(accepted)
        .enumerate()
        .filter_map(|(n, sent)| {
            let seen = observations.iter().find(|(_, c)| *c as usize > n)?;
            Some(seen.0.saturating_duration_since(*sent))
        })
        .collect();
    latencies.sort();
    println!(
        "{:<12} accepted {accepted:>7}  counted {:>7}  report→metric p50 {:>7.1} ms  p99 {:>7.1} ms",
        format!("{rate}/s"),
        latencies.len(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
    );
}
