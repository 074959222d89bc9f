//! Two replicas on one database and one NATS: they start together safely and share the work,
//! each event published once.

use std::collections::HashSet;

use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use ecommerce::domain::demo_accounts::DEMO_FLEET;
use ecommerce::startup::Application;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::http::ServiceClient;
use test_support::streams::stored_messages;
use test_support::{TestDatabase, TestNats};

use crate::helpers::test_settings;

#[tokio::test]
async fn two_replicas_starting_together_share_the_accounts_and_publish_each_event_once() {
    platform::telemetry::init_for_test();
    let nats = TestNats::start().await.unwrap();
    let db = TestDatabase::create().unwrap();
    // The same second, the same fresh database: migrations and demo accounts race.
    let (first, second) = tokio::join!(
        Application::build(test_settings(&nats, &db)),
        Application::build(test_settings(&nats, &db)),
    );
    let (first, second) = (
        first.expect("one starts"),
        second.expect("the other starts"),
    );
    let replicas: Vec<ServiceClient> = [&first, &second]
        .iter()
        .map(|app| ServiceClient::new(format!("http://127.0.0.1:{}", app.port())))
        .collect();
    let stops = [first.stop_token(), second.stop_token()];
    tokio::spawn(first.run_until_stopped());
    tokio::spawn(second.run_until_stopped());
    for replica in &replicas {
        replica.wait_until_ready().await;
    }

    let admin = login(&replicas[0], "admin@cargoexpress.test", "admin-demo-2026").await;
    let users: Value = replicas[1]
        .get("/users?limit=200", &admin)
        .await
        .json()
        .await
        .unwrap();
    let emails: Vec<&str> = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    let distinct: HashSet<&str> = emails.iter().copied().collect();
    assert_eq!(
        emails.len(),
        distinct.len(),
        "each account once: {emails:?}"
    );
    assert!(distinct.len() >= DEMO_FLEET.len() + 5);

    // Purchases through both replicas: each order's event is published once.
    let buyer = login(&replicas[0], "buyer@cargoexpress.test", "buyer-demo-2026").await;
    let mut orders = HashSet::new();
    for i in 0..6 {
        let response = replicas[i % 2]
            .request(reqwest::Method::POST, "/orders", Some(&buyer))
            .header("Idempotency-Key", format!("replicas-{i}"))
            .json(&json!({"lines": [{"sku": "pk0001", "quantity": 1}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        orders.insert(body["orders"][0]["id"].as_str().unwrap().to_owned());
    }
    let created = created_events(&nats, orders.len()).await;
    assert_eq!(created.len(), orders.len(), "one event per order");
    assert_eq!(
        created.iter().collect::<HashSet<_>>().len(),
        orders.len(),
        "no order announced twice"
    );
    for stop in stops {
        stop.cancel();
    }
}

async fn login(replica: &ServiceClient, email: &str, password: &str) -> String {
    let response = replica
        .request(reqwest::Method::POST, "/auth/login", None)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{email} logs in");
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// The order ids of the `orders.created` events on the stream, once `expected` arrived (and
/// a little longer, for any duplicate to show).
async fn created_events(nats: &TestNats, expected: usize) -> Vec<String> {
    let nats = nats.client().await.unwrap();
    let subject = nats
        .namespace()
        .resolve(&orders::subject(OrderStatus::Created));
    let what = format!("{expected} orders.created events");
    test_support::eventually_ok(std::time::Duration::from_secs(15), &what, || async {
        let mut ids = Vec::new();
        for message in stored_messages(&nats, &ORDERS).await.unwrap() {
            if message.subject.as_str() == subject {
                let event: Value = serde_json::from_slice(&message.payload).unwrap();
                ids.push(event["data"]["order_id"].as_str().unwrap().to_owned());
            }
        }
        if ids.len() >= expected {
            Ok(ids)
        } else {
            Err(format!("{} so far", ids.len()))
        }
    })
    .await
}
