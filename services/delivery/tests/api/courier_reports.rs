use std::time::Duration;

use async_nats::jetstream;
use chrono::Utc;
use contracts::CloudEvent;
use contracts::courier_reports::{self, COURIER_REPORT_RECEIVED, CourierReport, ReportLine};
use contracts::streams::COURIER_REPORTS;
use platform::auth::Role;
use serde_json::Value;

use crate::helpers::{TestApp, eventually, spawn_app, token};

fn report(tracking_number: &str, courier_id: i64) -> CloudEvent<CourierReport> {
    let id = uuid::Uuid::new_v4();
    let now = Utc::now();
    let data = CourierReport {
        report_id: id.to_string(),
        courier_id,
        courier_name: "María López".to_owned(),
        lines: vec![ReportLine {
            sku: "pk0001".to_owned(),
            name: "Moneda".to_owned(),
            quantity: 2,
            unit_price_cents: 100,
        }],
        units: 2,
        total_cents: 200,
        delivered_at: now,
        received_at: now,
        tracking_number: Some(tracking_number.to_owned()),
    };
    CloudEvent::new(
        "/cargo-express/ingest",
        COURIER_REPORT_RECEIVED,
        id.to_string(),
        data,
    )
    .with_id(id)
}

/// Publishes `event` as ingest would, under `message_id` (a fresh one defeats the stream's
/// dedupe, as a redelivery would).
async fn publish(app: &TestApp, event: &CloudEvent<CourierReport>, message_id: &str) {
    let nats = app.nats_client().await;
    let (js, namespace) = (nats.jetstream(), nats.namespace());
    eventually(
        Duration::from_secs(10),
        "the COURIER_REPORTS stream",
        || async {
            js.get_stream(namespace.stream_name(&COURIER_REPORTS))
                .await
                .is_ok()
        },
    )
    .await;
    let message = jetstream::message::PublishMessage::build()
        .payload(serde_json::to_vec(event).unwrap().into())
        .message_id(message_id);
    js.send_publish(namespace.resolve(&courier_reports::subject()), message)
        .await
        .unwrap()
        .await
        .unwrap();
}

async fn tracking(app: &TestApp, number: &str) -> Value {
    app.get(
        &format!("/tracking?tracking_number={number}"),
        &token(Role::MarketplaceAdmin),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_report_with_a_tracking_number_delivers_that_delivery_once() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-r1").await;
    let number = delivery["tracking_number"].as_str().unwrap().to_owned();
    let courier = delivery["courier"]["id"].as_i64().unwrap();
    let event = report(&number, courier);

    publish(&app, &event, "first").await;
    eventually(Duration::from_secs(10), "DELIVERED", || async {
        tracking(&app, &number).await["status"] == "DELIVERED"
    })
    .await;
    publish(&app, &event, "redelivered").await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let tracked = tracking(&app, &number).await;
    let statuses: Vec<&str> = tracked["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| step["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["READY_FOR_PICK_UP", "DELIVERED"]);
}

#[tokio::test]
async fn a_report_naming_another_couriers_delivery_changes_nothing() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-r2").await;
    let number = delivery["tracking_number"].as_str().unwrap().to_owned();
    let courier = delivery["courier"]["id"].as_i64().unwrap();
    let stranger = if courier == 110 { 101 } else { courier + 1 };
    let mine = app.create_delivery("order-r3").await;
    let mine_number = mine["tracking_number"].as_str().unwrap().to_owned();
    let mine_courier = mine["courier"]["id"].as_i64().unwrap();

    publish(&app, &report(&number, stranger), "stranger").await;
    // A later report the consumer handles proves the stranger's was handled before it.
    publish(&app, &report(&mine_number, mine_courier), "mine").await;
    eventually(Duration::from_secs(10), "the later report", || async {
        tracking(&app, &mine_number).await["status"] == "DELIVERED"
    })
    .await;

    assert_eq!(tracking(&app, &number).await["status"], "READY_FOR_PICK_UP");
}
