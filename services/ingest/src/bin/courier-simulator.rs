//! Plays seed 000's report generator against ingest, with credentials: every few seconds
//! (5 by default) a random courier of the fleet reports 1 to 10 random products (a product may
//! repeat), in the generator's own format, as that courier.
//!
//! `courier-simulator [--ingest URL] [--identity URL] [--interval-ms N] [--password P]`; the
//! couriers log in as `courier<id>@cargoexpress.test` (the demo accounts). With
//! `--check-settings` it only checks its options and prints them (deployments are checked so).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{FixedOffset, Utc};
use rand::Rng;
use rand::seq::IndexedRandom;
use reqwest::StatusCode;
use serde_json::{Value, json};

const PRODUCTS: [&str; 10] = [
    "pk0001", "pk0002", "pk0003", "pk0004", "pk0005", "pk0006", "pk0007", "pk0008", "pk0009",
    "pk0010",
];

/// Seed 000's timestamps are local time in Colombia (UTC-5, no daylight saving).
const BOGOTA: FixedOffset = match FixedOffset::west_opt(5 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC-5 is a valid offset"),
};

struct Options {
    ingest: String,
    identity: String,
    interval: Duration,
    password: String,
    /// `--check-settings`: check the options, print them and exit.
    check_only: bool,
}

impl Options {
    fn from_args() -> anyhow::Result<Self> {
        let mut options = Options {
            ingest: "http://127.0.0.1:8083".to_owned(),
            identity: "http://127.0.0.1:8081".to_owned(),
            interval: Duration::from_secs(5),
            password: "courier-demo-2026".to_owned(),
            check_only: false,
        };
        let mut args = std::env::args().skip(1);
        while let Some(flag) = args.next() {
            if flag == platform::settings::CHECK_SETTINGS_ARG {
                options.check_only = true;
                continue;
            }
            let value = args
                .next()
                .with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--ingest" => options.ingest = value,
                "--identity" => options.identity = value,
                "--interval-ms" => options.interval = Duration::from_millis(value.parse()?),
                "--password" => options.password = value,
                other => bail!("unknown option {other}"),
            }
        }
        for (flag, url) in [
            ("--ingest", &options.ingest),
            ("--identity", &options.identity),
        ] {
            reqwest::Url::parse(url).with_context(|| format!("{flag} {url:?} is not a URL"))?;
        }
        Ok(options)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = Options::from_args()?;
    if options.check_only {
        println!(
            "courier-simulator: options valid: ingest {}, identity {}, every {:?}",
            options.ingest, options.identity, options.interval
        );
        return Ok(());
    }
    let client = platform::http_client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let mut tokens: HashMap<i64, String> = HashMap::new();
    let mut ticker = tokio::time::interval(options.interval);
    println!(
        "courier simulator: a report every {:?} to {}",
        options.interval, options.ingest
    );
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = ticker.tick() => {}
        }
        let (courier, report) = random_report();
        if let Err(error) = send(&client, &options, &mut tokens, courier, &report).await {
            eprintln!("courier {courier}: {error:#}");
        }
    }
}

/// A report as seed 000's generator makes it.
fn random_report() -> (i64, Value) {
    let mut rng = rand::rng();
    let courier = rng.random_range(101..=110);
    let count = rng.random_range(1..=10);
    let products: Vec<Value> = (0..count)
        .filter_map(|_| PRODUCTS.choose(&mut rng))
        .map(|sku| json!({"IdProducto": sku}))
        .collect();
    let report = json!({
        "pedido_id": uuid::Uuid::new_v4().to_string(),
        "repartidor": {"IdRepartidor": courier},
        "productos": products,
        "timestamp": Utc::now().with_timezone(&BOGOTA).format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    });
    (courier, report)
}

/// Sends `report` as `courier`, logging in first (and again when the token has expired).
async fn send(
    client: &reqwest::Client,
    options: &Options,
    tokens: &mut HashMap<i64, String>,
    courier: i64,
    report: &Value,
) -> anyhow::Result<()> {
    for _ in 0..2 {
        let token = match tokens.get(&courier) {
            Some(token) => token.clone(),
            None => {
                let token = log_in(client, options, courier).await?;
                tokens.insert(courier, token.clone());
                token
            }
        };
        let response = client
            .post(format!("{}/registrar_pedido_entregado", options.ingest))
            .bearer_auth(&token)
            .json(report)
            .send()
            .await?;
        match response.status() {
            StatusCode::OK => {
                println!(
                    "courier {courier} reported {} products ({})",
                    report["productos"].as_array().map_or(0, Vec::len),
                    report["pedido_id"]
                );
                return Ok(());
            }
            StatusCode::UNAUTHORIZED => {
                tokens.remove(&courier);
            }
            status => bail!("ingest answered {status}: {}", response.text().await?),
        }
    }
    bail!("ingest kept refusing a fresh token")
}

async fn log_in(
    client: &reqwest::Client,
    options: &Options,
    courier: i64,
) -> anyhow::Result<String> {
    let response = client
        .post(format!("{}/auth/login", options.identity))
        .json(&json!({
            "email": format!("courier{courier}@cargoexpress.test"),
            "password": options.password,
        }))
        .send()
        .await?;
    if !response.status().is_success() {
        bail!("log-in of courier {courier}: {}", response.status());
    }
    let body: Value = response.json().await?;
    body.get("access_token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .context("the log-in answer has no access_token")
}
