//! NATS lost what it had acknowledged (the streams' messages deleted): `republish --since`
//! sends the events the outboxes kept once more, every consumer sees them again, and nothing
//! changes twice — no second delivery, no order counted twice, no status moved.

use std::time::Duration;

use contracts::streams::{DELIVERIES, ORDERS, StreamSpec};
use futures_util::TryStreamExt;
use platform::settings::DatabaseSettings;
use serde_json::{Value, json};
use test_support::http::ok;

use crate::stack::Stack;

/// Polls `check` until it gives a value; fails after 30 seconds.
async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    test_support::eventually_some(Duration::from_secs(30), what, check).await
}

/// How many messages the stream holds, once every durable consumer on it has been handed and
/// has acknowledged every message it takes; `None` while one is still behind.
async fn consumers_done(stack: &Stack, spec: &StreamSpec) -> Option<u64> {
    let nats = stack.nats.client().await.unwrap();
    let mut stream = nats
        .jetstream()
        .get_stream(nats.namespace().stream_name(spec))
        .await
        .ok()?;
    let messages = stream.info().await.ok()?.state.messages;
    let consumers: Vec<_> = stream.consumers().try_collect().await.ok()?;
    let done = !consumers.is_empty()
        && consumers
            .iter()
            .all(|consumer| consumer.num_pending == 0 && consumer.num_ack_pending == 0);
    done.then_some(messages)
}

/// What the event consumers made of the story: ecommerce's order, delivery's deliveries and
/// their tracking, metrics' orders by status.
async fn effects(stack: &Stack, order_id: &str, admin: &str, viewer: &str) -> Vec<Value> {
    let order = ok(stack
        .ecommerce
        .get(&format!("/orders/{order_id}"), admin)
        .await)
    .await;
    let deliveries = ok(stack.delivery.get("/deliveries", admin).await).await;
    let tracking = ok(stack
        .delivery
        .get(&format!("/tracking?foreign_order_id={order_id}"), admin)
        .await)
    .await;
    let summary = ok(stack.metrics.get("/v1/metrics/summary", viewer).await).await;
    vec![
        order,
        deliveries,
        tracking,
        // Its window moves with the clock; the counts must not.
        summary["orders_by_status"]["statuses"].clone(),
    ]
}

#[tokio::test]
async fn events_republished_after_nats_lost_them_reach_every_consumer_and_change_nothing_twice() {
    let stack = Stack::start().await;
    let since = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let token =
        |email: &'static str, password: &'static str| stack.ecommerce.token_of(email, password);
    let buyer = token("buyer@cargoexpress.test", "buyer-demo-2026").await;
    let seller = token("seller@cargoexpress.test", "seller-demo-2026").await;
    let admin = token("admin@cargoexpress.test", "admin-demo-2026").await;
    let viewer = token("ops@cargoexpress.test", "ops-demo-2026").await;

    // Bought, confirmed and dispatched: ORDERS holds three events, delivery made a delivery
    // and announced it on DELIVERIES, metrics counted the order.
    let lines = json!({"lines": [{"sku": "pk0002", "quantity": 1}]});
    let purchase = ok(stack.ecommerce.post("/orders", &buyer, &lines).await).await;
    let order_id = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    for status in ["confirmed", "dispatched"] {
        ok(stack
            .ecommerce
            .post(
                &format!("/orders/{order_id}/status"),
                &seller,
                &json!({"status": status}),
            )
            .await)
        .await;
    }
    eventually("the delivery", || async {
        let found = ok(stack.delivery.get("/deliveries", &admin).await).await;
        (found["items"][0]["order"]["foreign_order_id"] == order_id.as_str()).then_some(())
    })
    .await;
    eventually("the order's delivery status", || async {
        let order = ok(stack
            .ecommerce
            .get(&format!("/orders/{order_id}"), &buyer)
            .await)
        .await;
        order["delivery_status"].is_string().then_some(())
    })
    .await;
    let mut handled = Vec::new();
    for spec in [&ORDERS, &DELIVERIES] {
        handled.push(eventually("every consumer done", || consumers_done(&stack, spec)).await);
    }
    let before = effects(&stack, &order_id, &admin, &viewer).await;

    // NATS loses both streams, messages, consumers and all (as after a power cut of every node
    // inside a sync window, or a replaced volume).
    let nats = stack.nats.client().await.unwrap();
    for spec in [&ORDERS, &DELIVERIES] {
        nats.jetstream()
            .delete_stream(nats.namespace().stream_name(spec))
            .await
            .unwrap();
    }

    // The operator republishes both services' events since before the story.
    for (service, db) in [
        ("ecommerce", &stack.databases[0]),
        ("delivery", &stack.databases[1]),
    ] {
        let database = DatabaseSettings {
            url: db.url().to_owned(),
            ..DatabaseSettings::default()
        };
        platform::outbox::republish_command(service, &database, since)
            .await
            .unwrap();
    }

    // The streams hold every event again, and every consumer took them.
    for (spec, before) in [&ORDERS, &DELIVERIES].into_iter().zip(handled) {
        eventually("the events republished and consumed", || async {
            let messages = consumers_done(&stack, spec).await?;
            (messages >= before).then_some(())
        })
        .await;
    }
    let types: Vec<String> = test_support::streams::stored_messages(&nats, &ORDERS)
        .await
        .unwrap()
        .iter()
        .map(|m| {
            let event: Value = serde_json::from_slice(&m.payload).unwrap();
            event["type"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        types.len(),
        3,
        "created, confirmed and dispatched again: {types:?}"
    );

    assert_eq!(
        effects(&stack, &order_id, &admin, &viewer).await,
        before,
        "the republished events changed nothing"
    );
}
