use chrono::Utc;
use contracts::CloudEvent;
use contracts::orders::{
    self, Destination, ORDER_STATUS_CHANGED, OrderLine, OrderStatus, OrderStatusChanged, Origin,
};
use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::webhook_receiver::WebhookReceiver;

use crate::helpers::{TestApp, delivery_request, eventually, spawn_app, token, token_for};

/// The `orders.dispatched` event ecommerce publishes when a seller dispatches `order_id`.
pub fn dispatched(order_id: &str) -> CloudEvent<OrderStatusChanged> {
    CloudEvent::new(
        "/cargo-express/ecommerce",
        ORDER_STATUS_CHANGED,
        order_id,
        OrderStatusChanged {
            order_id: order_id.to_owned(),
            purchase_id: "purchase-1".to_owned(),
            seller_id: "seller-1".to_owned(),
            buyer_id: "buyer-1".to_owned(),
            status: OrderStatus::Dispatched,
            previous_status: Some(OrderStatus::Confirmed),
            lines: vec![OrderLine {
                product_id: "p-1".to_owned(),
                sku: "pk0002".to_owned(),
                name: "Estuche para gafas".to_owned(),
                quantity: 3,
                unit_price_cents: 800,
            }],
            total_cents: 2400,
            origin: Origin {
                address: "Calle 80 # 10-20, Bogotá".to_owned(),
            },
            destination: Destination {
                name: "Bea Buyer".to_owned(),
                address: "Carrera 7 # 32-16, Bogotá".to_owned(),
            },
            changed_at: Utc::now(),
        },
    )
}

/// Publishes `event` on the test's ORDERS stream as ecommerce would (the service created the
/// stream before it said it was ready).
pub async fn publish(app: &TestApp, event: &CloudEvent<OrderStatusChanged>) {
    let nats = app.nats_client().await;
    nats.jetstream()
        .publish(
            nats.namespace()
                .resolve(&orders::subject(OrderStatus::Dispatched)),
            serde_json::to_vec(event).unwrap().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_dispatched_order_gets_its_delivery_once_however_often_the_event_comes() {
    let app = spawn_app().await;
    let event = dispatched("order-d1");
    for _ in 0..3 {
        publish(&app, &event).await;
    }

    let admin = token(Role::MarketplaceAdmin);
    eventually(
        std::time::Duration::from_secs(10),
        "the delivery",
        || async {
            let tracked = app.get("/tracking?foreign_order_id=order-d1", &admin).await;
            tracked.status().is_success()
        },
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let all: Value = app.get("/deliveries", &admin).await.json().await.unwrap();
    assert_eq!(all["total"], 1);
    let delivery = &all["items"][0];
    assert_eq!(delivery["order"]["products"][0]["qty"], 3);
    assert_eq!(
        delivery["destination"]["address"],
        "Carrera 7 # 32-16, Bogotá"
    );
    assert_eq!(delivery["origin"]["address"], "Calle 80 # 10-20, Bogotá");
}

#[tokio::test]
async fn another_system_cannot_plant_the_delivery_of_a_marketplace_order() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    app.subscribe_to_all(receiver.url()).await;
    // Before the seller dispatches, another system takes the order's id with its own address.
    let mut planted = delivery_request("order-m1");
    planted["destination"]["address"] = json!("Calle Falsa 123, Bogotá");
    let intruder = token_for(Role::ServiceClient, "intruder");
    let response = app.post("/deliveries", &intruder, &planted).await;
    assert_eq!(response.status(), StatusCode::CREATED, "its own order");
    let planted: Value = response.json().await.unwrap();

    publish(&app, &dispatched("order-m1")).await;

    // The marketplace's order gets its own delivery, to the buyer's address.
    let buyer = token(Role::MarketplaceUser);
    let tracked = test_support::eventually_ok(
        std::time::Duration::from_secs(10),
        "the marketplace's delivery",
        || async {
            let answer = app.get("/tracking?foreign_order_id=order-m1", &buyer).await;
            let tracked: Value = answer.json().await.unwrap_or(Value::Null);
            let its_own = tracked["tracking_number"].is_string()
                && tracked["tracking_number"] != planted["tracking_number"];
            if its_own { Ok(tracked) } else { Err(tracked) }
        },
    )
    .await;
    let admin = token(Role::MarketplaceAdmin);
    let all: Value = app.get("/deliveries", &admin).await.json().await.unwrap();
    assert_eq!(all["total"], 2);
    let marketplace = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["tracking_number"] == tracked["tracking_number"])
        .unwrap();
    assert_eq!(
        marketplace["destination"]["address"],
        "Carrera 7 # 32-16, Bogotá"
    );
    // The intruder still tracks its own delivery under its own order id.
    let own: Value = app
        .get("/tracking?foreign_order_id=order-m1", &intruder)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["tracking_number"], planted["tracking_number"]);
    // Subscribers can tell which delivery speaks for the marketplace's order.
    let messages = receiver
        .wait_for(2, std::time::Duration::from_secs(15))
        .await;
    let marketplace_flag = |number: &Value| {
        messages
            .iter()
            .map(|m| m.json())
            .find(|m| m["data"]["tracking_number"] == *number)
            .map(|m| m["data"]["marketplace_order"].clone())
    };
    assert_eq!(
        marketplace_flag(&tracked["tracking_number"]),
        Some(json!(true))
    );
    assert_eq!(
        marketplace_flag(&planted["tracking_number"]),
        Some(json!(false))
    );
}
