use std::time::Duration;

use contracts::streams::DELIVERIES;
use platform::auth::Role;
use platform::webhook_signature::{SignedHeaders, WebhookSecret, verify};
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::webhook_receiver::{Received, Reply, WebhookReceiver};

use crate::dispatched_orders;
use crate::helpers::{
    TestApp, blamed_fields, delivery_request, eventually, problem, spawn_app, spawn_app_with,
    start, token, token_for,
};

const WAIT: Duration = Duration::from_secs(15);

/// Checks the Standard Webhooks signature of `message` with `secret`.
fn signed_with(message: &Received, secret: &str) -> bool {
    let headers = SignedHeaders {
        id: message.header("webhook-id"),
        timestamp: message.header("webhook-timestamp"),
        signature: message.header("webhook-signature"),
    };
    let now = chrono::Utc::now().timestamp();
    verify(
        &WebhookSecret::parse(secret).unwrap(),
        headers,
        &message.body,
        now,
        300,
    )
    .is_ok()
}

fn statuses(received: &[Received]) -> Vec<String> {
    received
        .iter()
        .map(|m| m.json()["data"]["status"].as_str().unwrap().to_owned())
        .collect()
}

async fn subscription(app: &TestApp, id: &str) -> Value {
    app.get(
        &format!("/webhooks/subscriptions/{id}"),
        &token(Role::ServiceClient),
    )
    .await
    .json()
    .await
    .unwrap()
}

#[tokio::test]
async fn a_subscription_shows_its_secret_once_and_wants_every_status_by_default() {
    let app = spawn_app().await;
    let created = app.subscribe("http://127.0.0.1:9/hook").await;
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    assert_eq!(created["statuses"].as_array().unwrap().len(), 5);
    assert_eq!(created["enabled"], true);
    let shown = subscription(&app, created["id"].as_str().unwrap()).await;
    assert!(shown.get("secret").is_none());
}

#[tokio::test]
async fn urls_aimed_at_internal_addresses_or_not_on_the_web_are_refused() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    for url in [
        "ftp://127.0.0.1/hook",
        "http://10.0.0.5/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[fd00::1]/hook",
        "http://user:secret@127.0.0.1/hook",
        "no url at all",
    ] {
        let response = app
            .post("/webhooks/subscriptions", &service, &json!({"url": url}))
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert_eq!(blamed_fields(&problem(response).await), ["url"], "{url}");
    }
    let wrong_status = app
        .post(
            "/webhooks/subscriptions",
            &service,
            &json!({"url": "http://127.0.0.1:9/x", "statuses": ["DELIVERED", "LOST"]}),
        )
        .await;
    assert_eq!(blamed_fields(&problem(wrong_status).await), ["statuses[1]"]);
}

#[tokio::test]
async fn every_status_change_reaches_the_subscriber_signed_and_once() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    let subscription = app.subscribe(receiver.url()).await;
    let secret = subscription["secret"].as_str().unwrap();
    let delivery = app.create_delivery("order-w").await;

    let first = receiver.wait_for(1, WAIT).await;
    assert_eq!(statuses(&first), ["READY_FOR_PICK_UP"]);
    let message = &first[0];
    assert!(
        signed_with(message, secret),
        "signature verifies with the subscription's secret"
    );
    assert!(message.header("webhook-id").unwrap().starts_with("msg_"));
    let body = message.json();
    assert_eq!(body["type"], "delivery.status_changed");
    assert_eq!(body["data"]["tracking_number"], delivery["tracking_number"]);
    assert_eq!(body["data"]["foreign_order_id"], "order-w");
    assert_eq!(body["data"]["delivery_id"], delivery["id"]);

    let worker = app.worker(5);
    let tick = app.clock().current();
    worker.advance(tick + 1).await.unwrap();
    worker.advance(tick + 2).await.unwrap();
    let mut all = statuses(&receiver.wait_for(3, WAIT).await);
    // Messages travel side by side, so order is not promised; `changed_at` tells it.
    all.sort();
    assert_eq!(
        all,
        ["IN_ORIGIN", "IN_ROUTE_OF_DELIVERY", "READY_FOR_PICK_UP"]
    );

    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(receiver.received().len(), 3, "nothing is sent twice");

    let id = subscription["id"].as_str().unwrap();
    let messages: Value = app
        .get(
            &format!("/webhooks/subscriptions/{id}/messages"),
            &token(Role::ServiceClient),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["total"], 3);
    assert!(
        messages["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["state"] == "succeeded" && m["attempts"] == 1)
    );
}

#[tokio::test]
async fn a_subscriber_gets_only_the_statuses_it_asked_for() {
    let app = spawn_app().await;
    let everything = WebhookReceiver::start().unwrap();
    let on_the_way = WebhookReceiver::start().unwrap();
    app.subscribe(everything.url()).await;
    let response = app
        .post(
            "/webhooks/subscriptions",
            &token(Role::ServiceClient),
            &json!({"url": on_the_way.url(), "statuses": ["IN_ORIGIN"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    app.create_delivery("order-f").await;
    app.worker(1)
        .advance(app.clock().current() + 1)
        .await
        .unwrap();
    everything.wait_for(2, WAIT).await;
    assert_eq!(statuses(&on_the_way.wait_for(1, WAIT).await), ["IN_ORIGIN"]);
}

#[tokio::test]
async fn failures_are_retried_with_the_same_id_until_the_subscriber_answers_2xx() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    receiver.script([
        Reply::status(500),
        Reply::retry_after(503, 1),
        Reply::status(429),
    ]);
    let subscription = app.subscribe(receiver.url()).await;
    app.create_delivery("order-r").await;

    let attempts = receiver.wait_for(4, Duration::from_secs(30)).await;
    assert_eq!(attempts.len(), 4, "three failures, then success");
    let ids: Vec<_> = attempts
        .iter()
        .map(|m| m.header("webhook-id").unwrap())
        .collect();
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "every retry keeps the webhook-id"
    );
    let secret = subscription["secret"].as_str().unwrap();
    assert!(
        attempts.iter().all(|m| signed_with(m, secret)),
        "each retry is signed afresh"
    );

    let id = subscription["id"].as_str().unwrap();
    let service = token(Role::ServiceClient);
    eventually(WAIT, "the attempts to be recorded", || async {
        let log: Value = app
            .get(&format!("/webhooks/subscriptions/{id}/attempts"), &service)
            .await
            .json()
            .await
            .unwrap();
        log["total"] == 4
    })
    .await;
    let log: Value = app
        .get(&format!("/webhooks/subscriptions/{id}/attempts"), &service)
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<i64> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .rev()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(codes, [500, 503, 429, 204]);
    let messages: Value = app
        .get(&format!("/webhooks/subscriptions/{id}/messages"), &service)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["items"][0]["state"], "succeeded");
    assert_eq!(messages["items"][0]["attempts"], 4);
}

#[tokio::test]
async fn an_unreachable_subscriber_is_retried_and_its_attempts_say_why() {
    let app = spawn_app().await;
    // Nobody listens on this port.
    let url = format!(
        "http://127.0.0.1:{}/hook",
        test_support::free_port().unwrap()
    );
    let subscription = app.subscribe(&url).await;
    app.create_delivery("order-u").await;
    let id = subscription["id"].as_str().unwrap();
    let service = token(Role::ServiceClient);
    eventually(WAIT, "two failed attempts", || async {
        let log: Value = app
            .get(&format!("/webhooks/subscriptions/{id}/attempts"), &service)
            .await
            .json()
            .await
            .unwrap();
        log["total"].as_i64().unwrap() >= 2
    })
    .await;
    let log: Value = app
        .get(&format!("/webhooks/subscriptions/{id}/attempts"), &service)
        .await
        .json()
        .await
        .unwrap();
    let attempt = &log["items"][0];
    assert!(attempt["status_code"].is_null());
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{attempt}"
    );
    let messages: Value = app
        .get(&format!("/webhooks/subscriptions/{id}/messages"), &service)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(messages["items"][0]["state"], "pending");
}

#[tokio::test]
async fn a_410_gone_answer_disables_the_subscription() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    receiver.script([Reply::status(410)]);
    let subscription = app.subscribe(receiver.url()).await;
    let id = subscription["id"].as_str().unwrap();
    app.create_delivery("order-g").await;
    eventually(WAIT, "the subscription to be disabled", || async {
        subscription_disabled(&app, id).await
    })
    .await;
    let shown = self::subscription(&app, id).await;
    assert!(shown["disabled_reason"].as_str().unwrap().contains("410"));

    app.worker(1)
        .advance(app.clock().current() + 1)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "nothing more goes to a gone endpoint"
    );
}

async fn subscription_disabled(app: &TestApp, id: &str) -> bool {
    subscription(app, id).await["enabled"] == false
}

#[tokio::test]
async fn after_a_rotation_both_secrets_sign_during_the_grace_period() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    let subscription = app.subscribe(receiver.url()).await;
    let old_secret = subscription["secret"].as_str().unwrap().to_owned();
    let id = subscription["id"].as_str().unwrap();
    let rotated: Value = app
        .post(
            &format!("/webhooks/subscriptions/{id}/rotate-secret"),
            &token(Role::ServiceClient),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, old_secret);
    assert!(rotated["previous_secret_valid_until"].is_string());

    app.create_delivery("order-rot").await;
    let message = &receiver.wait_for(1, WAIT).await[0];
    assert_eq!(
        message
            .header("webhook-signature")
            .unwrap()
            .split(' ')
            .count(),
        2
    );
    assert!(signed_with(message, new_secret));
    assert!(signed_with(message, &old_secret));
}

#[tokio::test]
async fn a_message_can_be_sent_again_on_demand_with_its_id() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    let subscription = app.subscribe(receiver.url()).await;
    let id = subscription["id"].as_str().unwrap();
    app.create_delivery("order-again").await;
    let first = receiver.wait_for(1, WAIT).await[0].clone();
    let message_id = first.header("webhook-id").unwrap();
    let response = app
        .post(
            &format!("/webhooks/subscriptions/{id}/messages/{message_id}/resend"),
            &token(Role::ServiceClient),
            &json!({}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let both = receiver.wait_for(2, WAIT).await;
    assert_eq!(both[1].header("webhook-id"), Some(message_id));
    let unknown = app
        .post(
            &format!("/webhooks/subscriptions/{id}/messages/msg_nope/resend"),
            &token(Role::ServiceClient),
            &json!({}),
        )
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_redelivered_event_or_a_restart_sends_nothing_twice() {
    let app = spawn_app().await;
    let receiver = WebhookReceiver::start().unwrap();
    app.subscribe(receiver.url()).await;
    app.create_delivery("order-once").await;
    receiver.wait_for(1, WAIT).await;

    // The same event arrives again (as after a consumer crash before its ack).
    let nats = app.nats_client().await;
    let js = nats.jetstream();
    let mut stream = js
        .get_stream(nats.namespace().stream_name(&DELIVERIES))
        .await
        .unwrap();
    let last = stream.info().await.unwrap().state.last_sequence;
    let original = stream.get_raw_message(last).await.unwrap();
    js.publish(original.subject.to_string(), original.payload.clone())
        .await
        .unwrap()
        .await
        .unwrap();

    // And the service restarts on the same database and streams.
    let restarted = start(app.settings.clone()).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    restarted.stop();
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn a_slow_subscriber_does_not_hold_up_the_others() {
    let app = spawn_app().await;
    let slow = WebhookReceiver::start().unwrap();
    slow.script([Reply::slow(Duration::from_secs(8)); 10]);
    let fast = WebhookReceiver::start().unwrap();
    app.subscribe(slow.url()).await;
    app.subscribe(fast.url()).await;
    for i in 0..5 {
        app.create_delivery(&format!("order-s{i}")).await;
    }
    assert_eq!(fast.wait_for(5, WAIT).await.len(), 5);
    assert!(
        slow.received().is_empty(),
        "the slow subscriber has not answered yet"
    );
}

#[tokio::test]
async fn two_replicas_send_each_message_once() {
    let app = spawn_app().await;
    let _replica = start(app.settings.clone()).await;
    let receiver = WebhookReceiver::start().unwrap();
    app.subscribe(receiver.url()).await;
    for i in 0..20 {
        app.create_delivery(&format!("order-r{i}")).await;
    }
    let worker = app.worker(11);
    let tick = app.clock().current();
    worker.advance(tick + 1).await.unwrap();
    worker.advance(tick + 2).await.unwrap();

    // 20 deliveries x 3 statuses, shared out between the replicas' fan-outs and dispatchers.
    receiver.wait_for(60, Duration::from_secs(30)).await;
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let received = receiver.received();
    let ids: std::collections::HashSet<&str> = received
        .iter()
        .map(|m| m.header("webhook-id").unwrap())
        .collect();
    assert_eq!(received.len(), 60, "every status change once");
    assert_eq!(ids.len(), 60);
}

/// A subscription's messages as its owner sees them.
async fn messages_of(app: &TestApp, subscription: &str) -> Vec<Value> {
    let page: Value = app
        .get(
            &format!("/webhooks/subscriptions/{subscription}/messages?limit=100"),
            &token(Role::ServiceClient),
        )
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_subscription_deleted_while_its_requests_are_in_flight_never_undoes_anothers_record() {
    // Claims and records by hand: one batch holds an attempt of each subscription.
    let app = spawn_app_with(|s| s.tasks.webhook_sender = false).await;
    let kept = app.subscribe("http://127.0.0.1:9/kept").await;
    let deleted = app.subscribe("http://127.0.0.1:9/deleted").await;
    let (kept, deleted) = (
        kept["id"].as_str().unwrap(),
        deleted["id"].as_str().unwrap(),
    );
    app.create_delivery("order-fk").await;
    eventually(WAIT, "a message for each subscription", || async {
        messages_of(&app, kept).await.len() == 1 && messages_of(&app, deleted).await.len() == 1
    })
    .await;
    let db = app.database();
    let claimed = db
        .write(|conn| -> Result<_, platform::db::DbError> {
            let now = platform::db::now();
            Ok(delivery::db::webhooks::claim_due(
                conn,
                now,
                now + Duration::from_secs(60),
                10,
                10,
                &Default::default(),
            )?)
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 2);

    let gone = app
        .delete(
            &format!("/webhooks/subscriptions/{deleted}"),
            &token(Role::ServiceClient),
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    // Both subscribers answered 204; the batch records both.
    let results: Vec<_> = claimed
        .iter()
        .map(|c| {
            let attempt = delivery::db::webhooks::Attempt {
                message_id: c.message.id.clone(),
                subscription_id: c.message.subscription_id.clone(),
                attempted_at: platform::db::now(),
                status_code: Some(204),
                error: None,
                duration_ms: 3,
            };
            (attempt, delivery::db::webhooks::Next::Succeeded)
        })
        .collect();
    let recorded = db
        .write(move |conn| -> Result<usize, platform::db::DbError> {
            let now = platform::db::now();
            Ok(delivery::db::webhooks::record_attempts(
                conn, &results, now,
            )?)
        })
        .await
        .expect("the deleted subscription's attempt does not fail the batch");

    assert_eq!(recorded, 1, "only the remaining subscription's attempt");
    let message = &messages_of(&app, kept).await[0];
    assert_eq!(message["state"], "succeeded");
    assert_eq!(message["attempts"], 1);
    let attempts: Value = app
        .get(
            &format!("/webhooks/subscriptions/{kept}/attempts"),
            &token(Role::ServiceClient),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(attempts["total"], 1);
}

/// Requests the dispatcher may have in flight to one subscriber, in the tests below.
const SLOTS: usize = 2;

/// A subscriber with `messages` messages whose first [`SLOTS`] requests it holds unanswered:
/// until they are released, the dispatcher can start no other request to it, so every
/// request that arrives later started later.
async fn busy_subscriber(messages: usize) -> (TestApp, WebhookReceiver, String) {
    let app = spawn_app_with(|s| {
        s.webhooks.max_in_flight_per_subscription = SLOTS;
        // A held request must not time out: that would free its slot.
        s.webhooks.timeout_ms = 60_000;
    })
    .await;
    let receiver = WebhookReceiver::start().unwrap();
    receiver.script(vec![Reply::held(); SLOTS]);
    let subscription = app.subscribe(receiver.url()).await;
    for i in 0..messages {
        app.create_delivery(&format!("order-busy{i}")).await;
    }
    let id = subscription["id"].as_str().unwrap().to_owned();
    // Every event fanned out (a disabled subscription gets no new messages).
    eventually(WAIT, "a message per delivery", || async {
        messages_of(&app, &id).await.len() == messages
    })
    .await;
    assert_eq!(receiver.wait_for_held(SLOTS, WAIT).await, SLOTS);
    (app, receiver, id)
}

fn arrived_after(receiver: &WebhookReceiver, answered: std::time::Instant) -> usize {
    receiver
        .arrivals()
        .iter()
        .filter(|arrived| **arrived > answered)
        .count()
}

/// Waits until the dispatcher holds no claim on `subscription`'s messages: what it sent is
/// recorded and what it had claimed ahead is given back (a claim counts an attempt until then).
async fn until_claims_settle(app: &TestApp, receiver: &WebhookReceiver, subscription: &str) {
    eventually(WAIT, "every claim recorded or given back", || async {
        let messages = messages_of(app, subscription).await;
        let succeeded = messages
            .iter()
            .filter(|m| m["state"] == "succeeded")
            .count();
        let claimed: i64 = messages
            .iter()
            .filter(|m| m["state"] == "pending")
            .map(|m| m["attempts"].as_i64().unwrap())
            .sum();
        succeeded == receiver.count() && claimed == 0
    })
    .await;
}

#[tokio::test]
async fn deleting_a_subscription_stops_its_requests_at_once() {
    let (app, receiver, subscription) = busy_subscriber(12).await;

    let deleted = app
        .delete(
            &format!("/webhooks/subscriptions/{subscription}"),
            &token(Role::ServiceClient),
        )
        .await;
    let answered = std::time::Instant::now();
    receiver.release_held();

    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // The deleted subscription's messages are gone, so there is no record to wait for: the
    // held requests are answered, then a while is left for a request that should not start.
    receiver.wait_for(SLOTS, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        arrived_after(&receiver, answered),
        0,
        "no request starts after the answer"
    );
}

#[tokio::test]
async fn disabling_a_subscription_stops_its_requests_at_once_and_keeps_the_rest_pending() {
    let (app, receiver, subscription) = busy_subscriber(12).await;

    let disabled = app
        .patch(
            &format!("/webhooks/subscriptions/{subscription}"),
            &token(Role::ServiceClient),
            &json!({"enabled": false}),
        )
        .await;
    let answered = std::time::Instant::now();
    receiver.release_held();

    assert_eq!(disabled.status(), StatusCode::OK);
    until_claims_settle(&app, &receiver, &subscription).await;
    assert_eq!(
        arrived_after(&receiver, answered),
        0,
        "no request starts after the answer"
    );
    // The two in flight finished; the others wait, their claims given back uncounted.
    let messages = messages_of(&app, &subscription).await;
    let attempted: i64 = messages
        .iter()
        .map(|m| m["attempts"].as_i64().unwrap())
        .sum();
    assert_eq!(attempted, SLOTS as i64, "an attempt per request sent");
    let pending = messages.iter().filter(|m| m["state"] == "pending").count();
    assert_eq!(pending, 12 - SLOTS, "{messages:#?}");
}

#[tokio::test]
async fn a_new_url_takes_the_remaining_messages_and_the_old_one_gets_no_more() {
    let (app, old, subscription) = busy_subscriber(12).await;
    let new = WebhookReceiver::start().unwrap();

    let moved = app
        .patch(
            &format!("/webhooks/subscriptions/{subscription}"),
            &token(Role::ServiceClient),
            &json!({"url": new.url()}),
        )
        .await;
    let answered = std::time::Instant::now();
    old.release_held();

    assert_eq!(moved.status(), StatusCode::OK);
    assert_eq!(new.wait_for(12 - SLOTS, WAIT).await.len(), 12 - SLOTS);
    assert_eq!(
        arrived_after(&old, answered),
        0,
        "no request to the old URL starts after the answer"
    );
    assert_eq!(old.count(), SLOTS);
}

#[tokio::test]
async fn a_subscription_deleted_through_another_replica_stops_this_ones_requests_too() {
    let (app, receiver, subscription) = busy_subscriber(12).await;
    // A replica that only serves the API: the sends are the first one's.
    let mut api_only = app.settings.clone();
    api_only.tasks.webhook_sender = false;
    let replica = start(api_only).await;
    let before = app.gate.epoch();

    let deleted = replica
        .delete(
            &format!("/webhooks/subscriptions/{subscription}"),
            &token(Role::ServiceClient),
        )
        .await;
    let answered = std::time::Instant::now();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // Across replicas the stop takes the notice's way through NATS.
    eventually(WAIT, "the sending replica hears the change", || async {
        !app.gate.is_open(&subscription, before)
    })
    .await;
    receiver.release_held();

    receiver.wait_for(SLOTS, WAIT).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        arrived_after(&receiver, answered),
        0,
        "no request starts after the answer, whichever replica gave it"
    );
}

/// The foreign order ids of the deliveries `subscription`'s message log holds, as `caller`
/// sees it.
async fn heard_orders(app: &TestApp, caller: &str, subscription: &Value) -> Vec<String> {
    let id = subscription["id"].as_str().unwrap();
    let log: Value = app
        .get(&format!("/webhooks/subscriptions/{id}/messages"), caller)
        .await
        .json()
        .await
        .unwrap();
    let mut orders: Vec<String> = log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            m["payload"]["data"]["foreign_order_id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    orders.sort();
    orders
}

#[tokio::test]
async fn a_subscription_hears_only_its_owners_deliveries_unless_an_admin_asks_for_all() {
    let app = spawn_app().await;
    let client_a = token_for(Role::ServiceClient, "client-a");
    let client_b = token_for(Role::ServiceClient, "client-b");
    let marketplace = token_for(
        Role::ServiceClient,
        contracts::deliveries::MARKETPLACE_SUBSCRIBER,
    );
    let admin = token(Role::MarketplaceAdmin);
    let hook = |name: &str| json!({"url": format!("http://127.0.0.1:9/{name}")});
    let of_a = app.subscribe_as(&client_a, &hook("a")).await;
    let of_b = app.subscribe_as(&client_b, &hook("b")).await;
    let of_marketplace = app.subscribe_as(&marketplace, &hook("marketplace")).await;
    let own_of_admin = app.subscribe_as(&admin, &hook("admin")).await;
    let receiver = WebhookReceiver::start().unwrap();
    let everything = app.subscribe_to_all(receiver.url()).await;
    assert_eq!(everything["all_deliveries"], true);
    assert_eq!(of_a["all_deliveries"], false);

    // Only an administrator may ask for every client's deliveries.
    let mut greedy = hook("greedy");
    greedy["all_deliveries"] = json!(true);
    let refused = app
        .post("/webhooks/subscriptions", &client_a, &greedy)
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        problem(refused).await["detail"]
            .as_str()
            .unwrap()
            .contains("all_deliveries")
    );

    for (caller, order) in [(&client_a, "order-a"), (&client_b, "order-b")] {
        let created = app
            .post("/deliveries", caller, &delivery_request(order))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    dispatched_orders::publish(&app, &dispatched_orders::dispatched("order-m")).await;

    // The fan-out writes every subscription's messages of an event together: once the
    // administrator's subscription has heard all three, every log is complete.
    receiver.wait_for(3, WAIT).await;
    assert_eq!(heard_orders(&app, &client_a, &of_a).await, ["order-a"]);
    assert_eq!(heard_orders(&app, &client_b, &of_b).await, ["order-b"]);
    assert_eq!(
        heard_orders(&app, &marketplace, &of_marketplace).await,
        ["order-m"]
    );
    assert!(heard_orders(&app, &admin, &own_of_admin).await.is_empty());
    assert_eq!(
        heard_orders(&app, &admin, &everything).await,
        ["order-a", "order-b", "order-m"]
    );

    // Neither client lists, reads or resends anything of the other's.
    let b_id = of_b["id"].as_str().unwrap();
    let log: Value = app
        .get(
            &format!("/webhooks/subscriptions/{b_id}/messages"),
            &client_b,
        )
        .await
        .json()
        .await
        .unwrap();
    let b_message = log["items"][0]["id"].as_str().unwrap();
    for path in [
        format!("/webhooks/subscriptions/{b_id}"),
        format!("/webhooks/subscriptions/{b_id}/messages"),
        format!("/webhooks/subscriptions/{b_id}/attempts"),
    ] {
        assert_eq!(
            app.get(&path, &client_a).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let resend = app
        .post(
            &format!("/webhooks/subscriptions/{b_id}/messages/{b_message}/resend"),
            &client_a,
            &json!({}),
        )
        .await;
    assert_eq!(resend.status(), StatusCode::FORBIDDEN);
    let listed: Value = app
        .get("/webhooks/subscriptions", &client_a)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["total"], 1,
        "client A lists its own subscription only"
    );
}
