use async_nats::jetstream;
use chrono::Utc;
use contracts::CloudEvent;
use contracts::orders::{
    Destination, ORDER_STATUS_CHANGED, OrderLine, OrderStatus, OrderStatusChanged, Origin,
};
use contracts::streams::{Namespace, ORDERS};
use platform::auth::Role;
use serde_json::Value;

use crate::helpers::{eventually, spawn_app, token};

fn dispatched(order_id: &str) -> CloudEvent<OrderStatusChanged> {
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

#[tokio::test]
async fn a_dispatched_order_gets_its_delivery_once_however_often_the_event_comes() {
    let app = spawn_app().await;
    let client = async_nats::connect(app.nats.url()).await.unwrap();
    let js = jetstream::new(client);
    let namespace = Namespace::new(app.nats.namespace().to_owned()).unwrap();
    let subject = namespace.subject(&ORDERS, "dispatched");
    let event = serde_json::to_vec(&dispatched("order-d1")).unwrap();
    // The stream exists once ecommerce runs; here the test creates it as ecommerce would.
    eventually(
        std::time::Duration::from_secs(10),
        "the ORDERS stream",
        || async {
            js.get_or_create_stream(jetstream::stream::Config {
                name: namespace.stream_name(&ORDERS),
                subjects: vec![namespace.stream_subjects(&ORDERS)],
                ..Default::default()
            })
            .await
            .is_ok()
        },
    )
    .await;
    for _ in 0..3 {
        js.publish(subject.clone(), event.clone().into())
            .await
            .unwrap()
            .await
            .unwrap();
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
