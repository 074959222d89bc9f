//! How long one status-worker tick takes over many active deliveries, on SQLite and PostgreSQL.
//!
//! `cargo bench -p delivery --bench tick` fills a fresh database with `BENCH_DELIVERIES`
//! (default 100,000) deliveries READY_FOR_PICK_UP, then runs `BENCH_TICKS` (default 3) ticks
//! one after the other, each moving every delivery one step: one UPDATE per target status, a
//! history row and an outbox event per delivery, in batches of `BENCH_BATCH` (default 10,000, the service default).
//! PostgreSQL runs when `BENCH_POSTGRES_URL` (default the local server) answers; choose with
//! `BENCH_BACKENDS` (default `sqlite,postgres`). The outbox relay does not run, so the figure is
//! the tick alone.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Instant;

use contracts::deliveries::DeliveryStatus;
use delivery::db::deliveries::DeliveryRow;
use delivery::db::schema::deliveries;
use delivery::domain::DeliveryId;
use delivery::worker::{StatusWorker, TickClock};
use diesel::prelude::*;
use platform::db::{DatabaseUrl, Db, DbConnection, DbError};
use platform::outbox::OutboxSignal;
use test_support::TestDatabase;
use test_support::bench::{cores, databases, env_or};

#[tokio::main]
async fn main() {
    let count: usize = env_or("BENCH_DELIVERIES", 100_000);
    let ticks: i64 = env_or("BENCH_TICKS", 3);
    let batch: i64 = env_or("BENCH_BATCH", 10_000);
    println!(
        "tick benchmark: {count} active deliveries, batches of {batch}, {} cores",
        cores()
    );
    println!(
        "{:<11} {:>6} {:>10} {:>12} {:>14}",
        "backend", "tick", "moved", "seconds", "deliveries/s"
    );
    for (backend, db) in databases() {
        run(backend, db, count, ticks, batch).await;
    }
}

async fn run(backend: &str, database: TestDatabase, count: usize, ticks: i64, batch: i64) {
    let db = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 4).unwrap();
    db.migrate(delivery::db::migrations()).await.unwrap();
    let started = Instant::now();
    db.write(move |conn| fill(conn, count)).await.unwrap();
    println!(
        "{backend:<11} filled {count} deliveries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let clock = TickClock::new(std::time::Duration::from_secs(30));
    let worker = StatusWorker::new(db, OutboxSignal::default(), clock, batch, Some(1));
    let first = clock.current() + 1;
    for tick in first..first + ticks {
        let started = Instant::now();
        let report = worker.advance(tick).await.unwrap();
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{backend:<11} {:>6} {:>10} {seconds:>12.2} {:>14.0}",
            tick - first + 1,
            report.moved,
            report.moved as f64 / seconds
        );
    }
}

fn fill(conn: &mut DbConnection, count: usize) -> Result<(), DbError> {
    let now = platform::db::now();
    let rows: Vec<DeliveryRow> = (0..count)
        .map(|i| DeliveryRow {
            id: DeliveryId::generate(),
            tracking_number: format!("CX{i:016X}"),
            foreign_order_id: format!("bench-order-{i}"),
            courier_id: 101 + (i % 10) as i64,
            status: DeliveryStatus::ReadyForPickUp,
            origin_address: "Calle 80 # 10-20, Bogotá".to_owned(),
            destination_name: "Bea Buyer".to_owned(),
            destination_address: "Carrera 7 # 32-16, Bogotá".to_owned(),
            last_tick: 0,
            created_by: "bench".to_owned(),
            created_at: now,
            updated_at: now,
        })
        .collect();
    match conn {
        DbConnection::Postgres(pg) => {
            for chunk in rows.chunks(5_000) {
                diesel::insert_into(deliveries::table)
                    .values(chunk)
                    .execute(pg)?;
            }
        }
        DbConnection::Sqlite(_) => {
            for row in &rows {
                diesel::insert_into(deliveries::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}
