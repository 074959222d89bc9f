//! How many webhook messages per second the dispatcher delivers to a local subscriber.
//!
//! `cargo bench -p delivery --bench webhooks` puts `BENCH_MESSAGES` (default 20,000) due
//! messages for one subscription into a fresh database, starts the dispatcher with the
//! service's default settings (256 requests in flight, 32 to one subscription; override the
//! latter with `BENCH_PER_SUBSCRIPTION`) and a subscriber on loopback that answers 204 at once,
//! and prints how long it took until every message was received and recorded as succeeded. Each message is signed
//! (HMAC-SHA256) and every attempt is written to the attempts log. SQLite and PostgreSQL as in
//! the tick benchmark (`BENCH_BACKENDS`, `BENCH_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::{Duration, Instant};

use contracts::deliveries::{DeliveryStatus, WebhookMessageState};
use delivery::config::WebhookSettings;
use delivery::db::schema::webhook_messages;
use delivery::db::webhooks::{self, MessageRow, SubscriptionRow};
use delivery::webhooks::Wakeup;
use delivery::webhooks::dispatcher::Dispatcher;
use delivery::webhooks::gate::SubscriptionGate;
use delivery::webhooks::url_guard::UrlGuard;
use diesel::prelude::*;
use platform::db::{DatabaseUrl, Db, DbError};
use platform::webhook_signature::WebhookSecret;
use test_support::TestDatabase;
use test_support::bench::{cores, databases, env_or};
use test_support::webhook_receiver::WebhookReceiver;
use tokio_util::sync::CancellationToken;

#[tokio::main]
async fn main() {
    let count: usize = env_or("BENCH_MESSAGES", 20_000);
    let per_subscription: usize = env_or(
        "BENCH_PER_SUBSCRIPTION",
        WebhookSettings::default().max_in_flight_per_subscription,
    );
    println!(
        "webhook benchmark: {count} messages to one local subscriber, {} cores",
        cores()
    );
    println!(
        "{:<11} {:>10} {:>12} {:>12} {:>14}",
        "backend", "messages", "received s", "recorded s", "messages/s"
    );
    for (backend, db) in databases() {
        run(backend, db, count, per_subscription).await;
    }
}

async fn run(backend: &str, database: TestDatabase, count: usize, per_subscription: usize) {
    let db = Db::connect(&DatabaseUrl::parse(database.url()).unwrap(), 8).unwrap();
    db.migrate(delivery::db::migrations()).await.unwrap();
    let receiver = WebhookReceiver::start().unwrap();
    let url = receiver.url().to_owned();
    db.write(move |conn| -> Result<(), DbError> {
        let now = platform::db::now();
        webhooks::insert_subscription(
            conn,
            &SubscriptionRow {
                id: "bench".to_owned(),
                owner_id: "bench".to_owned(),
                url,
                statuses: "IN_ORIGIN".to_owned(),
                description: None,
                secret: WebhookSecret::generate().unwrap().expose(),
                previous_secret: None,
                previous_secret_until: None,
                enabled: true,
                disabled_reason: None,
                created_at: now,
                updated_at: now,
                all_deliveries: false,
            },
        )?;
        let rows: Vec<MessageRow> = (0..count)
            .map(|i| MessageRow {
                id: format!("msg_bench{i}"),
                subscription_id: "bench".to_owned(),
                event_id: format!("event-{i}"),
                delivery_id: format!("delivery-{i}"),
                status: DeliveryStatus::InOrigin,
                body: format!(r#"{{"type":"delivery.status_changed","timestamp":"2026-11-23T10:00:00Z","data":{{"delivery_id":"delivery-{i}","tracking_number":"CX{i:016X}","foreign_order_id":"order-{i}","courier_id":101,"status":"IN_ORIGIN","previous_status":"READY_FOR_PICK_UP","changed_at":"2026-11-23T10:00:00Z"}}}}"#),
                state: WebhookMessageState::Pending,
                attempts: 0,
                next_attempt_at: now,
                locked_until: None,
                created_at: now,
                finished_at: None,
                traceparent: None,
            })
            .collect();
        webhooks::insert_messages(conn, &rows)?;
        Ok(())
    })
    .await
    .unwrap();

    let settings = WebhookSettings {
        max_in_flight_per_subscription: per_subscription,
        ..WebhookSettings::default()
    };
    let dispatcher = Dispatcher::new(
        db.clone(),
        UrlGuard::new(["127.0.0.1".to_owned()]),
        &settings,
        Wakeup::default(),
        SubscriptionGate::default(),
    )
    .unwrap();
    let stop = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(dispatcher.run(stop.clone()));
    while receiver.count() < count {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let received = started.elapsed().as_secs_f64();
    loop {
        let succeeded: i64 = db
            .run(|conn| -> Result<i64, DbError> {
                Ok(webhook_messages::table
                    .filter(webhook_messages::state.eq(WebhookMessageState::Succeeded))
                    .count()
                    .get_result(conn)?)
            })
            .await
            .unwrap();
        if succeeded as usize >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let recorded = started.elapsed().as_secs_f64();
    stop.cancel();
    task.await.unwrap().unwrap();
    println!(
        "{backend:<11} {count:>10} {received:>12.2} {recorded:>12.2} {:>14.0}",
        count as f64 / recorded
    );
    receiver.stop().await;
}
