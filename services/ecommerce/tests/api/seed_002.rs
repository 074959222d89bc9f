//! Seed 002's order API: `PUT /orders/{orderId}` with its status names, each status followed
//! up by a durable consumer of its own (the seed's queue and processor per status). The seed's
//! own lines are in `fixtures/seed-002/`, as it writes them.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use contracts::deliveries::DeliveryStatus;
use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use platform::auth::Role;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

use crate::delivery_webhooks::Sender;
use crate::helpers::{TestApp, blamed_fields, problem, spawn_app};

const SEED: &str = include_str!("fixtures/seed-002/statuses-and-endpoints.txt");

/// The statuses as the seed lists them: "según el estado (received, inprocess, ...)".
fn seed_statuses() -> Vec<&'static str> {
    let listed = SEED.split("según el estado (").nth(1).unwrap();
    listed.split(')').next().unwrap().split(", ").collect()
}

async fn put_status(app: &TestApp, token: &str, order: &str, status: &str) -> Response {
    app.request(
        reqwest::Method::PUT,
        &format!("/orders/{order}"),
        Some(token),
    )
    .json(&json!({"status": status}))
    .send()
    .await
    .unwrap()
}

async fn bought_order(app: &TestApp, buyer: &str) -> String {
    let response = app
        .purchase(
            buyer,
            &json!({"lines": [{"sku": "pk0002", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let purchase: Value = response.json().await.unwrap();
    purchase["orders"][0]["id"].as_str().unwrap().to_owned()
}

async fn status_of(response: Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    let order: Value = response.json().await.unwrap();
    order["status"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_seeds_routes_and_status_names_drive_the_order_lifecycle() {
    assert!(SEED.contains("PUT /orders/{orderId}"));
    assert_eq!(
        seed_statuses(),
        ["received", "inprocess", "completed", "canceled"]
    );
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let (kept, cancelled) = (
        bought_order(&app, &buyer).await,
        bought_order(&app, &buyer).await,
    );

    // Same authorization and rules as POST /orders/{id}/status.
    let by_buyer = put_status(&app, &buyer, &kept, "inprocess").await;
    assert_eq!(by_buyer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        status_of(put_status(&app, &seller, &kept, "inprocess").await).await,
        "confirmed"
    );
    let again = put_status(&app, &seller, &kept, "inprocess").await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(
        problem(again).await["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed")
    );
    for by_hand in ["completed", "received"] {
        let refused = put_status(&app, &seller, &kept, by_hand).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{by_hand}");
    }
    let unknown = put_status(&app, &seller, &kept, "in process").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(unknown).await), ["status"]);

    // `completed` is the delivery service's word, through its webhook, after dispatch.
    assert_eq!(
        status_of(put_status(&app, &seller, &kept, "dispatched").await).await,
        "dispatched"
    );
    let sender = Sender::registered(&app).await;
    let delivered = sender
        .status(&app, "msg_seed_002", &kept, DeliveryStatus::Delivered, 0)
        .await;
    assert!(delivered.status().is_success(), "{}", delivered.status());

    let stock = app.stock("pk0002").await;
    assert_eq!(
        status_of(put_status(&app, &buyer, &cancelled, "canceled").await).await,
        "cancelled"
    );
    assert_eq!(app.stock("pk0002").await, stock + 1, "the stock is back");
}

#[tokio::test]
async fn each_seed_status_reaches_a_durable_consumer_of_its_own() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let (kept, cancelled) = (
        bought_order(&app, &buyer).await,
        bought_order(&app, &buyer).await,
    );
    status_of(put_status(&app, &seller, &kept, "inprocess").await).await;
    status_of(put_status(&app, &seller, &kept, "dispatched").await).await;
    let sender = Sender::registered(&app).await;
    sender
        .status(&app, "msg_seed_002", &kept, DeliveryStatus::Delivered, 0)
        .await;
    status_of(put_status(&app, &buyer, &cancelled, "canceled").await).await;

    // The orders each seed status must have carried to its processor.
    let expected: BTreeMap<&str, Vec<&str>> = BTreeMap::from([
        ("received", vec![kept.as_str(), cancelled.as_str()]),
        ("inprocess", vec![kept.as_str()]),
        ("completed", vec![kept.as_str()]),
        ("canceled", vec![cancelled.as_str()]),
    ]);
    let nats = app.nats_client().await;
    let namespace = nats.namespace().clone();
    let stream = nats
        .jetstream()
        .get_stream(namespace.stream_name(&ORDERS))
        .await
        .unwrap();
    let mut consumers = BTreeSet::new();
    for name in seed_statuses() {
        let status = OrderStatus::parse_with_seed_names(name).unwrap();
        let events = app.order_events(status, expected[name].len()).await;
        let orders: BTreeSet<&str> = events.iter().map(|e| e.data.order_id.as_str()).collect();
        assert_eq!(orders, expected[name].iter().copied().collect(), "{name}");

        let consumer = namespace.consumer_name(&format!("ecommerce-orders-{}", status.as_str()));
        let what = format!("{name}: {consumer} to acknowledge its events");
        test_support::eventually_ok(Duration::from_secs(30), &what, || async {
            let info = stream.consumer_info(&consumer).await.unwrap();
            assert_eq!(
                info.config.filter_subject,
                namespace.resolve(&orders::subject(status)),
                "{name}: the consumer takes its status's subject only"
            );
            let done = info.ack_floor.consumer_sequence >= events.len() as u64
                && info.num_pending == 0
                && info.num_ack_pending == 0;
            if done {
                Ok(())
            } else {
                Err(format!("{info:?}"))
            }
        })
        .await;
        consumers.insert(consumer);
    }
    assert_eq!(consumers.len(), 4, "one processor per seed status");
}
