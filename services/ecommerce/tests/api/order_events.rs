//! Order events on the ORDERS stream and the per-status consumers that follow them up.

use std::time::Duration;

use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

async fn statistics(app: &TestApp) -> Value {
    let ops = app.token(Role::OperationsViewer).await;
    app.get("/orders/statistics", &ops)
        .await
        .json()
        .await
        .unwrap()
}

/// The statistics row of `status` once it counts `orders` orders (30 s at most).
async fn wait_for_statistics(app: &TestApp, status: &str, orders: i64) -> Value {
    let what = format!("statistics counting {orders} {status}");
    test_support::eventually_ok(Duration::from_secs(30), &what, || async {
        let rows = statistics(app).await;
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == status && r["orders"] == orders)
            .cloned()
            .ok_or(rows)
    })
    .await
}

/// A purchase is written by its batch, outside the request, yet its `orders.created` event
/// continues the request's trace, as every event a request causes does.
#[tokio::test]
async fn a_purchases_event_continues_the_trace_of_its_request() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let response = app
        .api
        .request(reqwest::Method::POST, "/orders", Some(&buyer))
        .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
        .json(&json!({"lines": [{"sku": "pk0002", "quantity": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);

    let created = app.order_events(OrderStatus::Created, 1).await;
    let traceparent = created[0].traceparent.as_deref().unwrap_or_default();
    assert_eq!(
        traceparent.split('-').nth(1),
        Some(trace_id),
        "{traceparent:?}"
    );
}

#[tokio::test]
async fn every_status_change_is_published_on_its_subject() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let purchase: Value = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0009", "quantity": 3}]}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let order = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    app.set_status(&seller, &order, "confirmed").await;
    app.set_status(&seller, &order, "dispatched").await;

    let created = app.order_events(OrderStatus::Created, 1).await;
    assert_eq!(created[0].data.order_id, order);
    assert_eq!(created[0].data.previous_status, None);
    assert_eq!(
        created[0].event_type,
        "co.cargoexpress.order.status_changed.v1"
    );

    let dispatched = &app.order_events(OrderStatus::Dispatched, 1).await[0];
    assert_eq!(dispatched.subject, order);
    let data = &dispatched.data;
    assert_eq!(
        (data.status, data.previous_status),
        (OrderStatus::Dispatched, Some(OrderStatus::Confirmed))
    );
    assert_eq!(data.lines[0].sku, "pk0009");
    assert_eq!(data.lines[0].name, "Goma de borrar");
    assert_eq!(data.lines[0].quantity, 3);
    assert!(
        data.origin.address.contains("Calle 13"),
        "the seller's warehouse"
    );
    assert_eq!(data.destination.name, "Bea Buyer");
    assert_eq!(data.destination.address, "Carrera 7 # 32-16, Bogotá");
}

#[tokio::test]
async fn purchases_succeed_while_nats_is_down_and_their_events_follow() {
    let mut app = spawn_app().await;
    app.order_events(OrderStatus::Created, 0).await;
    if app.nats.stop().is_err() {
        return; // a shared NATS (TEST_NATS_URL) cannot be stopped by one test
    }
    let buyer = app.token(Role::MarketplaceUser).await;
    let response = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0010", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the purchase does not wait for NATS"
    );
    let purchase: Value = response.json().await.unwrap();
    app.nats.resume().await.unwrap();

    let events = app.order_events(OrderStatus::Created, 1).await;
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].data.order_id,
        purchase["orders"][0]["id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn the_per_status_consumers_count_each_order_once() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    for _ in 0..3 {
        app.purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0001", "quantity": 2}]}),
            None,
        )
        .await;
    }
    let purchase: Value = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0004", "quantity": 1}]}),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    app.set_status(
        &seller,
        purchase["orders"][0]["id"].as_str().unwrap(),
        "confirmed",
    )
    .await;

    let created = wait_for_statistics(&app, "created", 4).await;
    assert_eq!(created["amount"], 18.0, "3 × 2 × 1.00 + 12.00");
    wait_for_statistics(&app, "confirmed", 1).await;

    // Deliver one event again, as JetStream would after a lost acknowledgement (a new message
    // id gets it past the stream's duplicate window): the count must not move.
    let event = app.order_events(OrderStatus::Created, 4).await.remove(0);
    let nats = app.nats_client().await;
    let subject = nats
        .namespace()
        .resolve(&orders::subject(OrderStatus::Created));
    let publish = async_nats::jetstream::message::PublishMessage::build()
        .payload(serde_json::to_vec(&event).unwrap().into())
        .message_id("redelivered-by-test");
    let duplicate = nats
        .jetstream()
        .send_publish(subject, publish)
        .await
        .unwrap()
        .await
        .unwrap()
        .sequence;
    let stream = nats
        .jetstream()
        .get_stream(nats.namespace().stream_name(&ORDERS))
        .await
        .unwrap();
    let consumer = nats.namespace().consumer_name("ecommerce-orders-created");
    test_support::eventually(
        Duration::from_secs(30),
        "the consumer to handle the duplicate",
        || async {
            let info = stream.consumer_info(&consumer).await.unwrap();
            info.ack_floor.stream_sequence >= duplicate
        },
    )
    .await;
    let rows = statistics(&app).await;
    let created = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "created")
        .unwrap();
    assert_eq!(
        created["orders"], 4,
        "the redelivered event was handled without counting twice"
    );

    let courier = app.token(Role::Courier).await;
    assert_eq!(
        app.get("/orders/statistics", &courier).await.status(),
        StatusCode::FORBIDDEN
    );
}
