use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app, token};

#[tokio::test]
async fn a_delivery_is_tracked_by_tracking_number_or_order_with_its_whole_history() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-t").await;
    let number = delivery["tracking_number"].as_str().unwrap();
    let worker = app.worker(3);
    let tick = app.clock().current();
    worker.advance(tick + 1).await.unwrap();
    worker.advance(tick + 2).await.unwrap();

    // Any signed-in user may track, a buyer included.
    let buyer = token(Role::MarketplaceUser);
    let by_number: Value = app
        .get(&format!("/tracking?tracking_number={number}"), &buyer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_number["tracking_number"], number);
    assert_eq!(by_number["status"], "IN_ROUTE_OF_DELIVERY");
    let statuses: Vec<&str> = by_number["tracking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["READY_FOR_PICK_UP", "IN_ORIGIN", "IN_ROUTE_OF_DELIVERY"]
    );
    assert!(by_number["tracking"][0]["date"].as_str().is_some());

    // An order id is its creator's: the system that created the delivery finds it by its own
    // order id; others (who could have an order of the same id) go by the tracking number.
    let by_order: Value = app
        .get(
            "/tracking?foreign_order_id=order-t",
            &token(Role::ServiceClient),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_order, by_number);
    let not_theirs = app.get("/tracking?foreign_order_id=order-t", &buyer).await;
    assert_eq!(not_theirs.status(), StatusCode::NOT_FOUND);
    // Seed 004's request body, with its spellings.
    let by_body = app
        .post(
            "/tracking",
            &buyer,
            &json!({"foreing_order_id": "", "trackig_number": number}),
        )
        .await;
    assert_eq!(by_body.status(), StatusCode::OK);
    assert_eq!(by_body.json::<Value>().await.unwrap(), by_number);
}

#[tokio::test]
async fn tracking_needs_a_known_key_and_a_signed_in_caller() {
    let app = spawn_app().await;
    let buyer = token(Role::MarketplaceUser);
    let nothing = app.get("/tracking", &buyer).await;
    assert_eq!(nothing.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(nothing).await), ["tracking_number"]);
    let unknown = app
        .get("/tracking?tracking_number=CX0000000000000000", &buyer)
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        problem(unknown).await["detail"]
            .as_str()
            .unwrap()
            .contains("CX0000000000000000")
    );

    let anonymous = app
        .request(reqwest::Method::GET, "/tracking?foreign_order_id=x", None)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}
