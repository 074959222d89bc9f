//! ecommerce and delivery together, as in production: a purchase is confirmed and dispatched,
//! the delivery appears by itself, the worker moves it, a subscriber hears every status once,
//! and ecommerce, told by webhook, ends the order delivered.

use std::collections::HashSet;
use std::time::Duration;

use platform::auth::Role;
use platform::db::{DatabaseUrl, Db, DbError};
use serde_json::json;
use test_support::app::Instance;
use test_support::http::ok;
use test_support::tokens::{demo_issuer, demo_verifier, token};
use test_support::webhook_receiver::WebhookReceiver;
use test_support::{TestDatabase, TestNats, eventually, free_port};
use tokio_util::sync::CancellationToken;

use crate::stack::{address, delivery_settings, ecommerce_settings, jwks_url};

/// delivery's settings for these tests: webhook calls give up after 2 seconds.
fn carrier_settings(port: u16, nats: &TestNats, db: &TestDatabase) -> delivery::config::Settings {
    let mut carrier = delivery_settings(port, nats, db);
    carrier.webhooks.timeout_ms = 2_000;
    carrier
}

#[tokio::test]
async fn a_dispatched_order_is_delivered_and_every_status_is_notified_once() {
    platform::telemetry::init_for_test();
    let nats = TestNats::start().await.unwrap();
    let (ecommerce_db, delivery_db) = (
        TestDatabase::create().unwrap(),
        TestDatabase::create().unwrap(),
    );
    let (ecommerce_port, delivery_port) = (free_port().unwrap(), free_port().unwrap());

    let shop = ecommerce_settings(
        ecommerce_port,
        &nats,
        &ecommerce_db,
        &address(delivery_port),
    );
    let shop = Instance::run(ecommerce::startup::Application::build(shop).await.unwrap());

    let mut carrier = carrier_settings(delivery_port, &nats, &delivery_db);
    carrier.auth.jwks_url = jwks_url(ecommerce_port);
    carrier.tasks.status_worker = true;
    carrier.worker.interval_ms = 300;
    let carrier = Instance::run(
        delivery::startup::Application::build(carrier)
            .await
            .unwrap(),
    );

    shop.wait_until_ready().await;
    carrier.wait_until_ready().await;
    // An operations tool of the administrator hears every client's deliveries, the
    // marketplace's included (a client system hears only its own).
    let operator = shop
        .token_of("admin@cargoexpress.test", "admin-demo-2026")
        .await;
    let subscriber = WebhookReceiver::start().unwrap();
    let subscribe = json!({"url": subscriber.url(), "all_deliveries": true});
    let subscription = ok(carrier
        .post("/webhooks/subscriptions", &operator, &subscribe)
        .await)
    .await;

    let buyer = shop
        .token_of("buyer@cargoexpress.test", "buyer-demo-2026")
        .await;
    let seller = shop
        .token_of("seller@cargoexpress.test", "seller-demo-2026")
        .await;
    let lines = json!({"lines": [{"sku": "pk0004", "quantity": 2}]});
    let purchase = ok(shop.post("/orders", &buyer, &lines).await).await;
    let order_id = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    let order_path = format!("/orders/{order_id}");
    // The seller's tool sends its own trace with the dispatch.
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    for status in ["confirmed", "dispatched"] {
        let change = json!({"status": status});
        ok(shop
            .request(
                reqwest::Method::POST,
                &format!("{order_path}/status"),
                Some(&seller),
            )
            .header("traceparent", format!("00-{trace_id}-00f067aa0ba902b7-01"))
            .json(&change)
            .send()
            .await
            .unwrap())
        .await;
    }

    // The worker moves the delivery every 300 ms; at the last step a coin decides, so it may
    // take a few rounds.
    eventually(
        Duration::from_secs(60),
        "the order to be delivered",
        || async { ok(shop.get(&order_path, &buyer).await).await["status"] == "delivered" },
    )
    .await;
    let order = ok(shop.get(&order_path, &buyer).await).await;
    assert_eq!(order["delivery_status"], "DELIVERED");
    let tracking_number = order["tracking_number"].as_str().unwrap().to_owned();
    let history: Vec<&str> = order["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["created", "confirmed", "dispatched", "delivered"]);

    let tracking_path = format!("/tracking?foreign_order_id={order_id}");
    let tracking = ok(carrier.get(&tracking_path, &buyer).await).await;
    assert_eq!(tracking["tracking_number"], tracking_number.as_str());
    let steps = tracking["tracking"].as_array().unwrap().len();

    // The subscriber heard every step once, signed with its secret.
    let received = subscriber.wait_for(steps, Duration::from_secs(15)).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let received_now = subscriber.received();
    assert_eq!(
        received_now.len(),
        steps,
        "one message per status change, no more"
    );
    let ids: HashSet<&str> = received
        .iter()
        .map(|m| m.header("webhook-id").unwrap())
        .collect();
    assert_eq!(ids.len(), steps);
    let secret =
        platform::webhook_signature::WebhookSecret::parse(subscription["secret"].as_str().unwrap())
            .unwrap();
    for message in &received {
        let headers = platform::webhook_signature::SignedHeaders {
            id: message.header("webhook-id"),
            timestamp: message.header("webhook-timestamp"),
            signature: message.header("webhook-signature"),
        };
        platform::webhook_signature::verify(
            &secret,
            headers,
            &message.body,
            chrono::Utc::now().timestamp(),
            300,
        )
        .unwrap();
        assert_eq!(
            message.json()["data"]["tracking_number"],
            tracking_number.as_str()
        );
    }
    // The dispatch's trace went through ecommerce's outbox, NATS, delivery's consumer, its
    // outbox and the webhook: the first status's request continues it.
    let first = received
        .iter()
        .find(|m| m.json()["data"]["status"] == "READY_FOR_PICK_UP")
        .unwrap();
    let traceparent = first.header("traceparent").unwrap_or_default();
    assert_eq!(
        traceparent.split('-').nth(1),
        Some(trace_id),
        "{traceparent}"
    );
    let mut heard: Vec<String> = received
        .iter()
        .map(|m| m.json()["data"]["status"].as_str().unwrap().to_owned())
        .collect();
    let mut tracked: Vec<String> = tracking["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .collect();
    heard.sort();
    tracked.sort();
    assert_eq!(heard, tracked);

    // A restarted ecommerce keeps its registration rather than adding another.
    let admin = shop
        .token_of("admin@cargoexpress.test", "admin-demo-2026")
        .await;
    let before = ok(carrier.get("/webhooks/subscriptions", &admin).await).await;
    assert_eq!(before["total"], 2, "the test subscriber's and ecommerce's");
    shop.stop();
    // On another port, with the receiver address it registered.
    let mut again = ecommerce_settings(0, &nats, &ecommerce_db, &carrier.address);
    again.delivery.receiver_url = format!("{}/webhooks/deliveries", shop.address);
    let _again = Instance::run(ecommerce::startup::Application::build(again).await.unwrap());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = ok(carrier.get("/webhooks/subscriptions", &admin).await).await;
    assert_eq!(after["items"], before["items"]);
}

#[tokio::test]
async fn ecommerce_replicas_registering_together_keep_one_subscription_and_its_secret() {
    platform::telemetry::init_for_test();
    let nats = TestNats::start().await.unwrap();
    let (ecommerce_db, delivery_db) = (
        TestDatabase::create().unwrap(),
        TestDatabase::create().unwrap(),
    );
    // delivery trusting the demo identity key, with which the registrations are signed.
    let carrier = carrier_settings(0, &nats, &delivery_db);
    let issuer = demo_issuer();
    let carrier = Instance::start(delivery::startup::Application::build_with_verifier(
        carrier,
        demo_verifier(),
    ))
    .await;
    // ecommerce's database, migrated by an instance that registers nothing itself.
    let shop = ecommerce_settings(0, &nats, &ecommerce_db, "");
    let shop = ecommerce::startup::Application::build(shop).await.unwrap();
    let db = Db::connect(&DatabaseUrl::parse(ecommerce_db.url()).unwrap(), 4).unwrap();
    let link = ecommerce::config::DeliverySettings {
        url: carrier.address.clone(),
        receiver_url: "http://127.0.0.1:9/webhooks/deliveries".to_owned(),
    };
    let cancel = CancellationToken::new();

    // Two replicas' start-up registrations at the same moment.
    let register = || {
        ecommerce::delivery_link::register_receiver(
            db.clone(),
            issuer.clone(),
            link.clone(),
            cancel.clone(),
        )
    };
    let (first, second) = tokio::join!(register(), register());
    first.unwrap();
    second.unwrap();

    let all = ok(carrier
        .get("/webhooks/subscriptions", &token(Role::MarketplaceAdmin))
        .await)
    .await;
    assert_eq!(all["total"], 1, "one subscription: {all:#}");
    let stored = db
        .run(|conn| ecommerce::db::delivery_subscription::stored(conn).map_err(DbError::from))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        all["items"][0]["id"].as_str(),
        Some(stored.subscription_id.as_str()),
        "the one ecommerce keeps the secret of"
    );
    drop(shop);
}
