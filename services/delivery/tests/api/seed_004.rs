//! Seed 004's delivery and tracking contracts, from its own examples
//! (`fixtures/seed-004/`, copied as the seed writes them, typos included).

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::contract::missing_members;

use crate::helpers::{blamed_fields, problem, spawn_app, token};

const CREATE_REQUEST: &str = include_str!("fixtures/seed-004/create-delivery-request.json");
const CREATE_RESPONSE: &str = include_str!("fixtures/seed-004/create-delivery-response.json");
const TRACKING_REQUEST: &str = include_str!("fixtures/seed-004/tracking-request.json");
const TRACKING_RESPONSE: &str = include_str!("fixtures/seed-004/tracking-response.json");

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// The seed's creation example with a real quantity, sent as a string as the example does.
fn create_request_with_qty(qty: &str) -> Value {
    let mut request = json(CREATE_REQUEST);
    assert_eq!(request["order"]["products"][0]["qty"], "product quantity");
    request["order"]["products"][0]["qty"] = json!(qty);
    request
}

#[tokio::test]
async fn the_seeds_creation_example_as_written_is_refused_naming_its_placeholder_qty() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/deliveries",
            &token(Role::ServiceClient),
            &json(CREATE_REQUEST),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = problem(response).await;
    assert_eq!(blamed_fields(&problem), ["order.products[0].qty"]);
    let reason = problem["invalid-params"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("a whole number"), "{reason}");
}

#[tokio::test]
async fn a_seed_client_creates_a_delivery_and_reads_every_member_the_seed_promises() {
    let app = spawn_app().await;
    let response = app
        .post(
            "/deliveries",
            &token(Role::ServiceClient),
            &create_request_with_qty("3"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let delivery: Value = response.json().await.unwrap();

    assert_eq!(
        missing_members(&json(CREATE_RESPONSE), &delivery),
        Vec::<String>::new()
    );
    assert_eq!(delivery["order"]["products"][0]["qty"], 3);
    assert_eq!(delivery["trackig_number"], delivery["tracking_number"]);
    assert!(
        delivery["tracking_number"]
            .as_str()
            .unwrap()
            .starts_with("CX")
    );
    let order = &delivery["order"];
    assert_eq!(
        order["foreing_order_id"],
        "order number provided by ecommerce microservice"
    );
    assert_eq!(order["foreign_order_id"], order["foreing_order_id"]);
    assert_eq!(delivery["status"], "READY_FOR_PICK_UP");
}

#[tokio::test]
async fn a_quantity_string_that_is_not_a_whole_number_is_refused_naming_it() {
    let app = spawn_app().await;
    for qty in ["tres", "3.5", "", "3 units"] {
        let response = app
            .post(
                "/deliveries",
                &token(Role::ServiceClient),
                &create_request_with_qty(qty),
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{qty:?}"
        );
        assert_eq!(
            blamed_fields(&problem(response).await),
            ["order.products[0].qty"],
            "{qty:?}"
        );
    }
    // A string of digits still meets the quantity's range.
    let response = app
        .post(
            "/deliveries",
            &token(Role::ServiceClient),
            &create_request_with_qty("0"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blamed_fields(&problem(response).await),
        ["order.products[0].qty"]
    );
}

#[tokio::test]
async fn a_seed_client_tracks_with_the_seeds_body_and_reads_every_member_the_seed_promises() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    let created: Value = app
        .post("/deliveries", &service, &create_request_with_qty("3"))
        .await
        .json()
        .await
        .unwrap();

    // As written (both values empty) the request names nothing to track.
    let empty = app
        .post("/tracking", &service, &json(TRACKING_REQUEST))
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(empty).await), ["tracking_number"]);

    let mut request = json(TRACKING_REQUEST);
    request["foreing_order_id"] = created["order"]["foreing_order_id"].clone();
    request["trackig_number"] = created["trackig_number"].clone();
    let response = app.post("/tracking", &service, &request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tracking: Value = response.json().await.unwrap();

    // The seed's example is not JSON as written (`"date"` has no value); its members are.
    let example = TRACKING_RESPONSE.replace("\"date\"\n", "\"date\": \"\"\n");
    assert_ne!(example, TRACKING_RESPONSE, "the fixture is the seed's text");
    assert_eq!(
        missing_members(&json(&example), &tracking),
        Vec::<String>::new()
    );
    assert_eq!(tracking["trackig_number"], created["tracking_number"]);
    assert_eq!(tracking["tracking"][0]["status"], "READY_FOR_PICK_UP");

    // The seed's spelling works in the query too, and our names keep working.
    let number = created["tracking_number"].as_str().unwrap();
    let by_seed_query: Value = app
        .get(&format!("/tracking?trackig_number={number}"), &service)
        .await
        .json()
        .await
        .unwrap();
    let by_clean_query: Value = app
        .get(&format!("/tracking?tracking_number={number}"), &service)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_seed_query, tracking);
    assert_eq!(by_clean_query, tracking);
}

#[tokio::test]
async fn the_openapi_document_keeps_our_names_primary_and_marks_the_seeds_spellings() {
    let app = spawn_app().await;
    let document: Value = app
        .client
        .get(format!("{}/openapi.json", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &document["components"]["schemas"];
    for (schema, ours, seeds) in [
        ("DeliveryResponse", "tracking_number", "trackig_number"),
        ("TrackingResponse", "tracking_number", "trackig_number"),
        ("OrderResponse", "foreign_order_id", "foreing_order_id"),
    ] {
        let properties = &schemas[schema]["properties"];
        assert!(
            properties[ours].get("deprecated").is_none(),
            "{schema}.{ours}"
        );
        assert_eq!(properties[seeds]["deprecated"], true, "{schema}.{seeds}");
    }
}
