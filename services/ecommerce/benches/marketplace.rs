//! The marketplace at seed 001's size: 12,000 sellers with their products loaded, measured
//! against the same service with the demo catalog, in the same run (seed 001 Q5).
//!
//! `cargo bench -p ecommerce --bench marketplace` starts the service in-process on a fresh
//! database (SQLite, then PostgreSQL at `BENCH_POSTGRES_URL` when it answers) for each of two
//! catalogs: the reference (the demo seller with `BENCH_REFERENCE_PRODUCTS` products) and the
//! large one (`BENCH_SELLERS` sellers, default 12,000, each with `BENCH_PRODUCTS_PER_SELLER`
//! products, default 10). For each it prints the time from start to ready, then requests per
//! second and latency of: the first catalog page, one seller's catalog page, and purchases of a
//! random product (one line) by `BENCH_CONCURRENCY` buyers for `BENCH_SECONDS` each; and the
//! large catalog's figures as a ratio of the reference's. The load generator shares the cores
//! with the service and the database, so compare ratios, not absolute numbers.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::RunQueryDsl;
use ecommerce::config::Settings;
use ecommerce::db::products::{self, NewProduct};
use ecommerce::db::sellers::{self, NewSeller};
use ecommerce::domain::SellerId;
use ecommerce::domain::demo_accounts::DEFAULT_SELLER_ID;
use ecommerce::startup::Application;
use platform::db::{DatabaseUrl, Db, DbConnection, DbError};
use platform::outbox;
use platform::settings::{DatabaseSettings, HttpSettings};
use serde_json::{Value, json};
use test_support::bench::{cores, database, databases, env_or, wait_ready};
use test_support::{TestDatabase, TestNats};

/// One catalog's figures.
struct Figures {
    ready: Duration,
    /// Start until the outbox is empty: the catalog republished to the KV bucket.
    drained: Duration,
    first_page: Rate,
    seller_page: Rate,
    purchases: Rate,
}

#[derive(Clone, Copy)]
struct Rate {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

#[tokio::main]
async fn main() {
    let seconds: u64 = env_or("BENCH_SECONDS", 10);
    let concurrency: usize = env_or("BENCH_CONCURRENCY", 32);
    let sellers: usize = env_or("BENCH_SELLERS", 12_000);
    let per_seller: usize = env_or("BENCH_PRODUCTS_PER_SELLER", 10);
    let reference_products: usize = env_or("BENCH_REFERENCE_PRODUCTS", 200);
    println!(
        "marketplace benchmark: {sellers} sellers x {per_seller} products against the demo seller with {reference_products}; {seconds} s per measure, {concurrency} clients, {} cores",
        cores()
    );
    for (backend, reference_db) in databases() {
        let reference = run(
            backend,
            reference_db,
            Catalog::Reference(reference_products),
            seconds,
            concurrency,
        )
        .await;
        let large = run(
            backend,
            database(backend).expect("a second database"),
            Catalog::Large {
                sellers,
                per_seller,
            },
            seconds,
            concurrency,
        )
        .await;
        print_ratio(backend, &reference, &large);
    }
}

enum Catalog {
    /// The demo seller with this many products.
    Reference(usize),
    Large {
        sellers: usize,
        per_seller: usize,
    },
}

fn settings(db: &TestDatabase, nats: &TestNats) -> Settings {
    let mut settings = Settings {
        http: HttpSettings::with_port(0),
        database: DatabaseSettings {
            url: db.url().to_owned(),
            pool_size: 16,
        },
        nats: nats.settings(),
        ..Settings::default()
    };
    settings.delivery.url = String::new();
    settings
}

async fn run(
    backend: &str,
    db: TestDatabase,
    catalog: Catalog,
    seconds: u64,
    concurrency: usize,
) -> Figures {
    let nats = TestNats::start_private().await.unwrap();
    // A first start migrates and creates the demo accounts; then the catalog is loaded
    // straight into the database, and the measured start is the second one.
    let first = Application::build(settings(&db, &nats)).await.unwrap();
    let stop = first.stop_token();
    tokio::spawn(first.run_until_stopped());
    stop.cancel();
    let loaded = Instant::now();
    let (label, skus, seller_ids) = load(&db, &catalog).await;
    println!(
        "{backend:<9} {label:<10} loaded {} products of {} sellers in {:.1} s",
        skus.len(),
        seller_ids.len(),
        loaded.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    let app = Application::build(settings(&db, &nats)).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let stop = app.stop_token();
    tokio::spawn(app.run_until_stopped());
    let client = platform::http_client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    wait_ready(&client, &base, Duration::from_secs(600)).await;
    let ready = started.elapsed();
    // Each start republishes the whole catalog to the KV bucket; measure once it has left.
    wait_drained(&db).await;
    let drained = started.elapsed();

    let buyers = buyers(&client, &base, concurrency).await;
    let (skus, seller_ids) = (Arc::new(skus), Arc::new(seller_ids));
    let duration = Duration::from_secs(seconds);
    let first_page = measure(&client, &buyers, duration, {
        let base = base.clone();
        move |_, client, token| {
            client
                .get(format!("{base}/products?limit=50"))
                .bearer_auth(token)
        }
    })
    .await;
    let seller_page = measure(&client, &buyers, duration, {
        let (base, seller_ids) = (base.clone(), seller_ids.clone());
        move |n, client, token| {
            let seller = &seller_ids[n % seller_ids.len()];
            client
                .get(format!("{base}/products?seller_id={seller}&limit=50"))
                .bearer_auth(token)
        }
    })
    .await;
    let purchases = measure(&client, &buyers, duration, {
        let (base, skus) = (base.clone(), skus.clone());
        move |n, client, token| {
            let sku = &skus[n % skus.len()];
            client
                .post(format!("{base}/orders"))
                .bearer_auth(token)
                .json(&json!({"lines": [{"sku": sku, "quantity": 1}]}))
        }
    })
    .await;
    stop.cancel();
    let figures = Figures {
        ready,
        drained,
        first_page,
        seller_page,
        purchases,
    };
    for (what, rate) in [
        ("first page", figures.first_page),
        ("seller page", figures.seller_page),
        ("purchases", figures.purchases),
    ] {
        println!(
            "{backend:<9} {label:<10} {what:<12} {:>9.0}/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
            rate.per_second, rate.p50_ms, rate.p99_ms, rate.errors
        );
    }
    println!(
        "{backend:<9} {label:<10} start to ready {:.2} s, catalog republished {:.2} s",
        figures.ready.as_secs_f64(),
        figures.drained.as_secs_f64()
    );
    figures
}

/// Loads the catalog; returns its label, every SKU and every seller id, shuffled the same way
/// each run (a prime stride) so clients spread over the sellers.
async fn load(db: &TestDatabase, catalog: &Catalog) -> (&'static str, Vec<String>, Vec<String>) {
    let db = Db::connect(&DatabaseUrl::parse(db.url()).unwrap(), 2).unwrap();
    let (label, sellers, per_seller) = match *catalog {
        Catalog::Reference(products) => ("reference", 0, products),
        Catalog::Large {
            sellers,
            per_seller,
        } => ("12k", sellers, per_seller),
    };
    let product = |seller: usize, n: usize| NewProduct {
        sku: format!("S{seller:05}-P{n:02}"),
        name: format!("Product {n} of seller {seller}"),
        description: "bench".to_owned(),
        price_cents: 125,
        stock: 1_000_000_000,
    };
    let mut skus = Vec::new();
    let mut seller_ids = Vec::new();
    if sellers == 0 {
        let rows: Vec<NewProduct> = (0..per_seller).map(|n| product(0, n)).collect();
        skus.extend(rows.iter().map(|p| p.sku.clone()));
        db.write(move |conn| -> Result<(), DbError> {
            let seller = SellerId::from(DEFAULT_SELLER_ID.to_owned());
            for row in &rows {
                products::insert(conn, &seller, row)?;
            }
            Ok(())
        })
        .await
        .unwrap();
        seller_ids.push(DEFAULT_SELLER_ID.to_owned());
    }
    // Five hundred sellers a transaction.
    for chunk_start in (0..sellers).step_by(500) {
        let chunk: Vec<usize> = (chunk_start..sellers.min(chunk_start + 500)).collect();
        let rows: Vec<(NewSeller, Vec<NewProduct>)> = chunk
            .iter()
            .map(|&s| {
                let seller = NewSeller {
                    name: format!("Seller {s}"),
                    description: "A bench seller".to_owned(),
                    owner_name: Some(format!("Owner {s}")),
                    warehouse_address: Some("Calle 1 # 2-3, Bogotá".to_owned()),
                    tags: vec!["bench".to_owned()],
                };
                (seller, (0..per_seller).map(|n| product(s, n)).collect())
            })
            .collect();
        skus.extend(
            rows.iter()
                .flat_map(|(_, p)| p.iter().map(|p| p.sku.clone())),
        );
        let ids = db
            .write(move |conn| -> Result<Vec<String>, DbError> {
                let mut ids = Vec::with_capacity(rows.len());
                for (seller, products) in &rows {
                    let seller = sellers::insert(conn, seller)?;
                    for product in products {
                        products::insert(conn, &seller.row.id, product)?;
                    }
                    ids.push(seller.row.id.into());
                }
                // Fresh statistics after each chunk: planned while the table was nearly empty,
                // PostgreSQL's cached plan for reading a product back by id scans the whole
                // table, which makes loading quadratic (autovacuum would fix it, minutes later).
                if let DbConnection::Postgres(_) = conn {
                    diesel::sql_query("ANALYZE products").execute(conn)?;
                }
                Ok(ids)
            })
            .await
            .unwrap();
        seller_ids.extend(ids);
    }
    let stride = |items: &mut Vec<String>| {
        let len = items.len();
        let spread: Vec<String> = (0..len).map(|i| items[(i * 7_919) % len].clone()).collect();
        *items = spread;
    };
    stride(&mut skus);
    stride(&mut seller_ids);
    (label, skus, seller_ids)
}

async fn buyers(client: &reqwest::Client, base: &str, count: usize) -> Vec<String> {
    let mut tokens = Vec::with_capacity(count);
    for i in 0..count {
        let email = format!("bench{i}@buyers.test");
        let body = json!({"email": email, "password": "bench-kettle-2026", "name": format!("Buyer {i}"), "shipping_address": "Calle 1 # 2-3, Bogotá"});
        client
            .post(format!("{base}/auth/register"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let answer: Value = client
            .post(format!("{base}/auth/login"))
            .json(&json!({"email": email, "password": "bench-kettle-2026"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(answer["access_token"].as_str().expect("a token").to_owned());
    }
    tokens
}

/// Every client sends `request(n, ..)` in a loop (n counting up from its own start) until the
/// time is up; 2xx answers count.
async fn measure<F>(
    client: &reqwest::Client,
    tokens: &[String],
    duration: Duration,
    request: F,
) -> Rate
where
    F: Fn(usize, &reqwest::Client, &str) -> reqwest::RequestBuilder + Send + Sync + Clone + 'static,
{
    let running = Arc::new(AtomicBool::new(true));
    let started = Instant::now();
    let workers: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(k, token)| {
            let (client, token, running, request) = (
                client.clone(),
                token.clone(),
                running.clone(),
                request.clone(),
            );
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0u64);
                let mut n = k * 104_729;
                while running.load(Ordering::Relaxed) {
                    let sent = Instant::now();
                    match request(n, &client, &token).send().await {
                        Ok(answer) if answer.status().is_success() => {
                            let _ = answer.bytes().await;
                            latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                        }
                        _ => errors += 1,
                    }
                    n += 1;
                }
                (latencies, errors)
            })
        })
        .collect();
    tokio::time::sleep(duration).await;
    running.store(false, Ordering::Relaxed);
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for worker in workers {
        let (l, e) = worker.await.unwrap();
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        if latencies.is_empty() {
            return 0.0;
        }
        latencies[((latencies.len() as f64 - 1.0) * p).round() as usize]
    };
    Rate {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
        errors,
    }
}

fn print_ratio(backend: &str, reference: &Figures, large: &Figures) {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    println!(
        "{backend:<9} 12k / reference: first page x{:.2}, seller page x{:.2}, purchases x{:.2}, start to ready x{:.2}",
        ratio(large.first_page.per_second, reference.first_page.per_second),
        ratio(
            large.seller_page.per_second,
            reference.seller_page.per_second
        ),
        ratio(large.purchases.per_second, reference.purchases.per_second),
        ratio(large.ready.as_secs_f64(), reference.ready.as_secs_f64()),
    );
}

async fn wait_drained(db: &TestDatabase) {
    let db = Db::connect(&DatabaseUrl::parse(db.url()).unwrap(), 1).unwrap();
    loop {
        let pending = db
            .run(|conn| outbox::pending_count(conn).map_err(DbError::from))
            .await
            .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
