//! The receiver of the delivery service's webhooks: signed messages update the order's delivery
//! status, DELIVERED ends the order delivered, and anything unsigned, stale or repeated changes
//! nothing.

use chrono::{TimeDelta, Utc};
use contracts::deliveries::{
    DeliveryStatus, DeliveryStatusChanged, WEBHOOK_STATUS_CHANGED, WebhookMessage,
};
use ecommerce::db::delivery_subscription;
use platform::auth::Role;
use platform::db::DbError;
use platform::webhook_signature::{WebhookSecret, signature_header};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, problem, spawn_app};

/// The delivery service's side of the webhook, for tests of other files too (seed 002's
/// `completed` is reached only through it).
pub(crate) struct Sender {
    secret: WebhookSecret,
}

impl Sender {
    /// Registers a subscription secret as the start-up registration would have stored it.
    pub(crate) async fn registered(app: &TestApp) -> Self {
        let secret = WebhookSecret::generate().unwrap();
        let stored = secret.expose();
        app.database()
            .write(move |conn| -> Result<bool, DbError> {
                Ok(delivery_subscription::replace(
                    conn,
                    None,
                    "sub-1",
                    &stored,
                    "http://127.0.0.1/x",
                    platform::db::now(),
                )?)
            })
            .await
            .unwrap();
        Self { secret }
    }

    async fn send(
        &self,
        app: &TestApp,
        id: &str,
        timestamp: i64,
        body: &[u8],
        secret: &WebhookSecret,
    ) -> Response {
        app.request(Method::POST, "/webhooks/deliveries", None)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header(
                "webhook-signature",
                signature_header(std::slice::from_ref(secret), id, timestamp, body),
            )
            .body(body.to_vec())
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn status(
        &self,
        app: &TestApp,
        id: &str,
        order_id: &str,
        status: DeliveryStatus,
        minutes_ago: i64,
    ) -> Response {
        let body = message(order_id, status, minutes_ago);
        self.send(app, id, Utc::now().timestamp(), &body, &self.secret)
            .await
    }
}

fn message(order_id: &str, status: DeliveryStatus, minutes_ago: i64) -> Vec<u8> {
    message_of(order_id, status, minutes_ago, true)
}

/// A message about a delivery of a marketplace order, or of one another system created.
fn message_of(
    order_id: &str,
    status: DeliveryStatus,
    minutes_ago: i64,
    marketplace_order: bool,
) -> Vec<u8> {
    let changed_at = Utc::now() - TimeDelta::minutes(minutes_ago);
    serde_json::to_vec(&WebhookMessage {
        kind: WEBHOOK_STATUS_CHANGED.to_owned(),
        timestamp: changed_at,
        data: DeliveryStatusChanged {
            delivery_id: "delivery-1".to_owned(),
            tracking_number: "CX00000000000000AB".to_owned(),
            foreign_order_id: order_id.to_owned(),
            courier_id: 101,
            marketplace_order,
            status,
            previous_status: None,
            changed_at,
        },
    })
    .unwrap()
}

/// A dispatched order of the demo buyer; returns its id.
async fn dispatched_order(app: &TestApp) -> String {
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let response = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0003", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    let order_id = body["orders"][0]["id"].as_str().unwrap().to_owned();
    for status in ["confirmed", "dispatched"] {
        assert_eq!(
            app.set_status(&seller, &order_id, status).await.status(),
            StatusCode::OK
        );
    }
    order_id
}

async fn order(app: &TestApp, id: &str) -> Value {
    let admin = app.token(Role::MarketplaceAdmin).await;
    app.get(&format!("/orders/{id}"), &admin)
        .await
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn signed_statuses_show_on_the_order_and_delivered_ends_it() {
    let app = spawn_app().await;
    let sender = Sender::registered(&app).await;
    let order_id = dispatched_order(&app).await;

    let response = sender
        .status(&app, "msg_1", &order_id, DeliveryStatus::InOrigin, 2)
        .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let shown = order(&app, &order_id).await;
    assert_eq!(shown["tracking_number"], "CX00000000000000AB");
    assert_eq!(shown["delivery_status"], "IN_ORIGIN");
    assert_eq!(shown["status"], "dispatched");

    // A message that changed earlier, arriving late, does not go back in time.
    sender
        .status(&app, "msg_0", &order_id, DeliveryStatus::ReadyForPickUp, 3)
        .await;
    assert_eq!(order(&app, &order_id).await["delivery_status"], "IN_ORIGIN");

    let delivered = sender
        .status(&app, "msg_2", &order_id, DeliveryStatus::Delivered, 0)
        .await;
    assert_eq!(delivered.status(), StatusCode::NO_CONTENT);
    let shown = order(&app, &order_id).await;
    assert_eq!(shown["status"], "delivered");
    assert_eq!(shown["delivery_status"], "DELIVERED");
    assert_eq!(shown["history"].as_array().unwrap().len(), 4);

    // The same message again changes nothing.
    let again = sender
        .status(&app, "msg_2", &order_id, DeliveryStatus::Delivered, 0)
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        order(&app, &order_id).await["history"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
}

#[tokio::test]
async fn unsigned_forged_or_replayed_messages_are_refused() {
    let app = spawn_app().await;
    let order_id = dispatched_order(&app).await;
    let body = message(&order_id, DeliveryStatus::Delivered, 0);

    // Before registration there is no secret to check against.
    let stranger = WebhookSecret::generate().unwrap();
    let early = Sender {
        secret: stranger.clone(),
    };
    let refused = early
        .send(&app, "msg_a", Utc::now().timestamp(), &body, &stranger)
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

    let sender = Sender::registered(&app).await;
    let forged = sender
        .send(&app, "msg_b", Utc::now().timestamp(), &body, &stranger)
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    assert!(
        problem(forged).await["detail"]
            .as_str()
            .unwrap()
            .contains("signature")
    );

    let replayed = sender
        .send(
            &app,
            "msg_c",
            Utc::now().timestamp() - 600,
            &body,
            &sender.secret,
        )
        .await;
    assert_eq!(replayed.status(), StatusCode::UNAUTHORIZED);

    let unsigned = app
        .request(Method::POST, "/webhooks/deliveries", None)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(order(&app, &order_id).await["status"], "dispatched");

    let not_a_message = sender
        .send(
            &app,
            "msg_d",
            Utc::now().timestamp(),
            b"{\"hello\": 1}",
            &sender.secret,
        )
        .await;
    assert_eq!(not_a_message.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_message_over_the_body_limit_is_refused_with_413_and_changes_nothing() {
    let app = spawn_app().await;
    let order_id = dispatched_order(&app).await;
    let sender = Sender::registered(&app).await;
    // A valid, signed message, padded with whitespace past the limit: only its size is wrong.
    let mut body = message(&order_id, DeliveryStatus::Delivered, 0);
    body.resize(platform::json::MAX_BODY_BYTES + 1, b' ');
    let refused = sender
        .send(
            &app,
            "msg_big",
            Utc::now().timestamp(),
            &body,
            &sender.secret,
        )
        .await;
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem = problem(refused).await;
    assert_eq!(
        problem["type"],
        "urn:cargo-express:problem:payload-too-large"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("262144 bytes"),
        "{problem}"
    );
    assert_eq!(order(&app, &order_id).await["status"], "dispatched");
}

#[tokio::test]
async fn a_status_for_an_order_ecommerce_does_not_have_is_acknowledged_and_ignored() {
    let app = spawn_app().await;
    let sender = Sender::registered(&app).await;
    let response = sender
        .status(&app, "msg_z", "no-such-order", DeliveryStatus::InOrigin, 0)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::NO_CONTENT,
        "otherwise the sender retries for a day"
    );
}

#[tokio::test]
async fn a_delivery_another_system_made_for_the_same_order_id_changes_nothing() {
    let app = spawn_app().await;
    let sender = Sender::registered(&app).await;
    let order_id = dispatched_order(&app).await;

    let body = message_of(&order_id, DeliveryStatus::Delivered, 1, false);
    let response = sender
        .send(
            &app,
            "msg_other",
            Utc::now().timestamp(),
            &body,
            &sender.secret,
        )
        .await;

    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let shown = order(&app, &order_id).await;
    assert_eq!(shown["status"], "dispatched");
    assert!(shown["tracking_number"].is_null(), "{shown}");
}
