//! Seed 000 reports against a bare reference, measured from outside.
//!
//! `cargo bench -p ingest --bench reports` runs everything as separate processes on a private
//! nats-server: `wrk` (one thread, `BENCH_CONNECTIONS` connections, `BENCH_SECONDS` seconds)
//! posts seed 000 reports, each with a fresh `pedido_id`, to
//! 1. the reference: a bare actix-web server that parses the JSON body and answers once
//!    JetStream acknowledged the publish (this binary started again in the `bare` role);
//! 2. ingest alone: the release binary, with its default settings (JSON logs at `info`, written
//!    to a file); once on nats-server as shipped (every message synced to disk before its
//!    acknowledgement) and once on JetStream's default sync (every two minutes), each against
//!    the reference on the same server, so the cost of the guarantee is measured;
//! 3. ingest while metrics consumes the reports: metrics in a process of its own (this binary in
//!    the `metrics` role, which runs what metrics' `main` runs) on SQLite or PostgreSQL
//!    (`BENCH_BACKENDS`, default `sqlite`; `BENCH_POSTGRES_URL`).
//!
//! and prints, per path, the reference's requests per second (measured just before: the machine
//! is shared, so its speed moves), ours, our p99 and the ratio, and the CPU time each server
//! process spent per 1,000 requests (from `/proc/<pid>/stat`).
//! Every report is a courier's (a JWT per courier, verified with the keys this binary serves as
//! the identity provider would) and is checked, priced and stored as in production.
//!
//! Knobs: `BENCH_SECONDS` (10), `BENCH_CONNECTIONS` (64), `BENCH_BACKENDS` (`sqlite`),
//! `BENCH_PERF_DIR` (unset: when set, `perf record` samples ingest, and metrics when it runs,
//! with DWARF call graphs during each run and leaves `perf-<path>.data` there).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use platform::auth::{DEMO_SIGNING_KEY_PEM, JwtIssuer, Role, TokenSubject};
use test_support::bench::{WrkRun, cores, env_or, wait_ready, wrk};
use test_support::{JetStreamSync, TestNats, free_port};
use tokio::process::{Child, Command};

/// Which process this binary is: the benchmark itself, or one of the servers it starts.
const ROLE: &str = "INGEST_BENCH_ROLE";
const ISSUER: &str = "cargo-express";
const PATH: &str = "/registrar_pedido_entregado";

fn main() {
    match std::env::var(ROLE).as_deref() {
        Ok("bare") => bare::main(),
        Ok("metrics") => metrics_role(),
        _ => benchmark(),
    }
}

#[tokio::main]
async fn benchmark() {
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let connections: usize = env_or("BENCH_CONNECTIONS", 64);
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite".to_owned());
    let perf_dir = std::env::var("BENCH_PERF_DIR").ok().map(PathBuf::from);
    println!(
        "seed 000 reports from outside: wrk, 1 thread, {connections} connections, {seconds} s \
         per run, {} cores shared by wrk, nats-server and the servers",
        cores()
    );
    let scratch = tempfile::tempdir().unwrap();
    let issuer = JwtIssuer::from_pem(DEMO_SIGNING_KEY_PEM, ISSUER, 3600).unwrap();
    let jwks_url = serve_jwks(&issuer);
    let bench_on = |nats| Bench {
        script: wrk_script(&issuer),
        connections,
        seconds,
        nats,
    };
    let bench = bench_on(TestNats::start_private().await.unwrap());
    let unsynced = bench_on(
        TestNats::start_private_syncing(JetStreamSync::ServerDefault)
            .await
            .unwrap(),
    );

    let mut rows = Vec::new();
    // 2. ingest alone, after the reference on the same server: as shipped, then on the
    // server's default sync.
    for (label, bench) in [
        ("ingest alone", &bench),
        ("ingest alone, NATS default sync", &unsynced),
    ] {
        let reference = bench.reference().await;
        println!("reference (bare actix-web + JetStream ack): {reference}");
        let namespace = test_support::unique_name("alone");
        test_support::reference::publish(bench.nats.url(), &namespace)
            .await
            .unwrap();
        let (ingest, port) =
            start_ingest(&bench.nats, &namespace, &jwks_url, scratch.path(), "alone");
        ready(port).await;
        let profile = perf_dir
            .as_deref()
            .map(|dir| perf_record(dir, "alone", &[ingest.id().unwrap()], seconds));
        let ours = bench.run(port, ingest.id().unwrap(), None).await;
        finish_perf(profile).await;
        stop(ingest).await;
        println!("{label}: {ours}");
        rows.push((label.to_owned(), reference, ours));
    }
    drop(unsynced);

    // 3. ingest while metrics consumes the stream, per backend, each after the reference.
    for backend in ["sqlite", "postgres"] {
        if !backends.contains(backend) {
            continue;
        }
        let db = match test_support::bench::database(backend) {
            Ok(db) => db,
            Err(error) => {
                println!("metrics on {backend} skipped: {error}");
                continue;
            }
        };
        let reference = bench.reference().await;
        println!("reference (bare actix-web + JetStream ack): {reference}");
        let namespace = test_support::unique_name("consumed");
        test_support::reference::publish(bench.nats.url(), &namespace)
            .await
            .unwrap();
        let (ingest, port) =
            start_ingest(&bench.nats, &namespace, &jwks_url, scratch.path(), backend);
        ready(port).await;
        let metrics_port = free_port().unwrap();
        let metrics = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, "metrics")
            .env("METRICS_CONFIG", "/nonexistent/metrics.toml")
            .env("METRICS__HTTP__PORT", metrics_port.to_string())
            .env("METRICS__DATABASE__URL", db.url())
            .env("METRICS__NATS__URL", bench.nats.url())
            .env("METRICS__NATS__NAMESPACE", &namespace)
            .env("METRICS__AUTH__JWKS_URL", &jwks_url)
            .env("METRICS__AUTH__ISSUER", ISSUER)
            .env_remove("RUST_LOG")
            .stdout(log_file(scratch.path(), &format!("metrics-{backend}")))
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        ready(metrics_port).await;
        let profile = perf_dir.as_deref().map(|dir| {
            perf_record(
                dir,
                backend,
                &[ingest.id().unwrap(), metrics.id().unwrap()],
                seconds,
            )
        });
        let ours = bench.run(port, ingest.id().unwrap(), metrics.id()).await;
        finish_perf(profile).await;
        stop(ingest).await;
        stop(metrics).await;
        println!("ingest, metrics on {backend} consuming: {ours}");
        rows.push((format!("ingest + metrics ({backend})"), reference, ours));
    }

    println!();
    println!(
        "| path | reference req/s | ours req/s | ours p99 ms | ratio | CPU ms per 1,000 \
         requests: reference / ingest / metrics / nats-server | ours non-2xx |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (path, reference, ours) in rows {
        println!(
            "| {path} | {:.0} | {:.0} | {:.1} | {:.2} | {:.0} / {:.0} / {} / {:.0} | {} |",
            reference.rate(),
            ours.rate(),
            ours.run.p99_ms,
            ours.rate() / reference.rate(),
            reference.cpu_ms_per_thousand(),
            ours.cpu_ms_per_thousand(),
            ours.consumer_cpu_ms_per_thousand()
                .map_or("-".to_owned(), |ms| format!("{ms:.0}")),
            ours.nats_cpu_ms_per_thousand(),
            ours.run.other
        );
    }
    println!(
        "(reference measured just before each of our runs; goals: ratio >= 0.8 alone, >= 0.6 \
         while metrics consumes)"
    );
}

/// What every run shares: the load generator and the NATS server.
struct Bench {
    script: String,
    connections: usize,
    seconds: u64,
    nats: TestNats,
}

impl Bench {
    /// Runs wrk against the server at `port` (process `pid`), measuring the CPU time that
    /// process, `consumer` (if any) and nats-server spend meanwhile.
    async fn run(&self, port: u16, pid: u32, consumer: Option<u32>) -> Measured {
        let nats = self.nats.pid().expect("the benchmark's own nats-server");
        let before = (
            cpu_seconds(pid),
            consumer.map(cpu_seconds),
            cpu_seconds(nats),
        );
        let url = format!("http://127.0.0.1:{port}{PATH}");
        let run = wrk(&url, &self.script, self.connections, self.seconds)
            .await
            .unwrap();
        Measured {
            run,
            cpu_seconds: cpu_seconds(pid) - before.0,
            consumer_cpu_seconds: consumer
                .zip(before.1)
                .map(|(pid, before)| cpu_seconds(pid) - before),
            nats_cpu_seconds: cpu_seconds(nats) - before.2,
        }
    }

    /// The bare reference, started afresh on a namespace of its own, measured, stopped.
    async fn reference(&self) -> Measured {
        let namespace = test_support::unique_name("bare");
        let port = free_port().unwrap();
        let bare = Command::new(std::env::current_exe().unwrap())
            .env(ROLE, "bare")
            .env("BARE_PORT", port.to_string())
            .env("BARE_NATS_URL", self.nats.url())
            .env("BARE_NAMESPACE", &namespace)
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        ready(port).await;
        let measured = self.run(port, bare.id().unwrap(), None).await;
        stop(bare).await;
        measured
    }
}

/// User and system CPU time process `pid` has used, from `/proc/<pid>/stat`.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces), from the state on: utime and
    // stime are the 12th and 13th, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Serves the issuer's public keys at `/.well-known/jwks.json`, as ecommerce does; returns the
/// address.
fn serve_jwks(issuer: &JwtIssuer) -> String {
    let jwks = serde_json::to_string(issuer.jwks()).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let jwks = jwks.clone();
        App::new().route(
            "/.well-known/jwks.json",
            web::get().to(move || {
                let jwks = jwks.clone();
                async move {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(jwks)
                }
            }),
        )
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}/.well-known/jwks.json")
}

/// Starts the ingest release binary on `namespace`; its JSON log goes to a file in `dir`.
fn start_ingest(
    nats: &TestNats,
    namespace: &str,
    jwks_url: &str,
    dir: &Path,
    name: &str,
) -> (Child, u16) {
    let port = free_port().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_ingest"))
        .env("INGEST_CONFIG", "/nonexistent/ingest.toml")
        .env("INGEST__HTTP__PORT", port.to_string())
        .env("INGEST__NATS__URL", nats.url())
        .env("INGEST__NATS__NAMESPACE", namespace)
        .env("INGEST__AUTH__JWKS_URL", jwks_url)
        .env("INGEST__AUTH__ISSUER", ISSUER)
        .env_remove("RUST_LOG")
        .stdout(log_file(dir, &format!("ingest-{name}")))
        .kill_on_drop(true)
        .spawn()
        .expect("the ingest binary starts");
    (child, port)
}

fn log_file(dir: &Path, name: &str) -> std::fs::File {
    std::fs::File::create(dir.join(format!("{name}.log"))).unwrap()
}

/// Waits for `/readyz` on `port` (streams made, reference data loaded).
async fn ready(port: u16) {
    let client = platform::http_client::builder().build().unwrap();
    wait_ready(
        &client,
        &format!("http://127.0.0.1:{port}"),
        Duration::from_secs(60),
    )
    .await;
}

async fn stop(mut child: Child) {
    let _ = child.start_kill();
    let _ = child.wait().await;
}

fn perf_record(dir: &Path, name: &str, pids: &[u32], seconds: u64) -> Child {
    std::fs::create_dir_all(dir).unwrap();
    let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
    Command::new("perf")
        .args(["record", "--call-graph", "dwarf,16384", "-F", "250"])
        .args(["-p", &pids.join(","), "-o"])
        .arg(dir.join(format!("perf-{name}.data")))
        .args(["--", "sleep", &seconds.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("perf starts (apt-get install -y linux-perf)")
}

async fn finish_perf(perf: Option<Child>) {
    if let Some(mut perf) = perf {
        let _ = perf.wait().await;
    }
}

/// A wrk script posting seed 000's report (three products, as the fixture of the seed's
/// generator) from couriers 101 to 110 in turn, each with its own token, with a fresh
/// `pedido_id` per request: a random prefix for the run and a counter.
fn wrk_script(issuer: &JwtIssuer) -> String {
    let tokens: Vec<String> = (101..=110)
        .map(|id| {
            let token = issuer
                .issue(TokenSubject {
                    user_id: format!("bench-courier-{id}"),
                    email: format!("courier{id}@cargoexpress.test"),
                    role: Role::Courier,
                    seller_id: None,
                    courier_id: Some(id),
                    generation: 0,
                })
                .unwrap()
                .access_token;
            format!("\"{token}\"")
        })
        .collect();
    // Now in Bogotá, as the seed's devices write it; valid for days.
    let bogota = chrono::FixedOffset::west_opt(5 * 3600).unwrap();
    let timestamp = chrono::Utc::now()
        .with_timezone(&bogota)
        .format("%Y-%m-%d %H:%M:%S%.6f");
    let prefix = &uuid::Uuid::new_v4().to_string()[..24];
    format!(
        r#"local tokens = {{{tokens}}}
local counter = 0
wrk.method = "POST"
request = function()
  counter = counter + 1
  local courier = counter % 10
  local body = '{{"pedido_id":"{prefix}' .. string.format("%012x", counter) ..
    '","repartidor":{{"IdRepartidor":' .. (101 + courier) .. ',"Nombre":"María López"}},' ..
    '"productos":[{{"IdProducto":"pk0004","producto":"Pendrive","precio":12.00}},' ..
    '{{"IdProducto":"pk0010","producto":"Clip sujetapapeles","precio":0.20}},' ..
    '{{"IdProducto":"pk0004","producto":"Pendrive","precio":12.00}}],' ..
    '"timestamp":"{timestamp}"}}'
  return wrk.format(nil, nil, {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. tokens[courier + 1]}}, body)
end
"#,
        tokens = tokens.join(", ")
    )
}

/// What one wrk run measured, with the CPU time the servers spent meanwhile.
#[derive(Debug, Clone, Copy)]
struct Measured {
    run: WrkRun,
    /// CPU time the server spent during the run.
    cpu_seconds: f64,
    /// CPU time the consumer (metrics) spent during the run, if one ran.
    consumer_cpu_seconds: Option<f64>,
    /// CPU time nats-server spent during the run.
    nats_cpu_seconds: f64,
}

impl Measured {
    /// Successful requests per second.
    fn rate(&self) -> f64 {
        self.run.ok_per_second
    }

    fn cpu_ms_per_thousand(&self) -> f64 {
        self.cpu_seconds * 1e6 / self.run.requests.max(1) as f64
    }

    fn consumer_cpu_ms_per_thousand(&self) -> Option<f64> {
        self.consumer_cpu_seconds
            .map(|seconds| seconds * 1e6 / self.run.requests.max(1) as f64)
    }

    fn nats_cpu_ms_per_thousand(&self) -> f64 {
        self.nats_cpu_seconds * 1e6 / self.run.requests.max(1) as f64
    }
}

impl std::fmt::Display for Measured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:.0} req/s, p99 {:.1} ms, {:.0} ms CPU per 1,000 requests (nats-server {:.0} ms), \
             {} requests, {} non-2xx, {} socket errors",
            self.rate(),
            self.run.p99_ms,
            self.cpu_ms_per_thousand(),
            self.nats_cpu_ms_per_thousand(),
            self.run.requests,
            self.run.other,
            self.run.socket_errors
        )
    }
}

/// The metrics service, as its `main` runs it (settings from `METRICS__*`).
#[tokio::main]
async fn metrics_role() {
    use metrics_service::config::Settings;
    let loaded: platform::settings::Loaded<Settings> =
        platform::settings::load("metrics", &[]).unwrap();
    platform::telemetry::init(&loaded.settings.log).unwrap();
    let app = metrics_service::startup::Application::build(loaded.warn_unknown())
        .await
        .unwrap();
    app.run_until_stopped().await.unwrap();
}

/// The reference: what any service taking a JSON report must do at least. It parses the body
/// (as a `serde_json::Value`), publishes the body as it came to a JetStream stream configured as
/// ingest's (file storage, dedupe window) under the report's id, and answers once the publish is
/// acknowledged. No token check, no validation, no log line.
mod bare {
    use actix_web::{App, HttpResponse, HttpServer, web};
    use async_nats::jetstream::message::PublishMessage;
    use contracts::courier_reports;
    use contracts::streams::COURIER_REPORTS;
    use platform::nats::Nats;
    use platform::settings::NatsSettings;

    #[tokio::main]
    pub async fn main() {
        let var = |name: &str| std::env::var(name).unwrap();
        let settings = NatsSettings {
            url: var("BARE_NATS_URL"),
            namespace: var("BARE_NAMESPACE"),
            ..Default::default()
        };
        let nats = Nats::connect(&settings, "bare").await.unwrap();
        nats.reconcile_stream(&COURIER_REPORTS).await.unwrap();
        let subject = nats.namespace().resolve(&courier_reports::subject());
        let state = web::Data::new((nats, subject));
        HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/readyz", web::get().to(HttpResponse::Ok))
                .route(super::PATH, web::post().to(report))
        })
        .bind(("127.0.0.1", var("BARE_PORT").parse::<u16>().unwrap()))
        .unwrap()
        .run()
        .await
        .unwrap();
    }

    async fn report(state: web::Data<(Nats, String)>, body: web::Bytes) -> HttpResponse {
        let (nats, subject) = state.get_ref();
        let Ok(report) = serde_json::from_slice::<serde_json::Value>(&body) else {
            return HttpResponse::BadRequest().finish();
        };
        let id = report["pedido_id"].as_str().unwrap_or_default();
        let message = PublishMessage::build().payload(body.clone()).message_id(id);
        let ack = match nats
            .jetstream()
            .send_publish(subject.clone(), message)
            .await
        {
            Ok(ack) => ack.await,
            Err(error) => return HttpResponse::ServiceUnavailable().body(error.to_string()),
        };
        match ack {
            Ok(ack) => HttpResponse::Ok().json(serde_json::json!({
                "status": "accepted", "pedido_id": id, "duplicate": ack.duplicate
            })),
            Err(error) => HttpResponse::ServiceUnavailable().body(error.to_string()),
        }
    }
}
