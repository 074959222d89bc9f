//! What a newcomer finds: the addresses people type (`/`, `/docs`), and an API page that
//! explains every operation (summary, who may call it, a request example) with examples that
//! the service takes as they are, sent as "Try it out" sends them.

use std::collections::HashMap;

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use test_support::api_docs::{self, ExampleSender, Operation};

use crate::helpers::spawn_app;

/// The demo seller and its first product (pk0001), from the catalog migration's seed data.
const DEMO_SELLER: &str = "00000000-0000-7000-8000-000000000001";
const DEMO_PRODUCT: &str = "00000000-0000-7000-8000-000000001001";

#[tokio::test]
async fn the_root_answers_an_index_and_docs_without_its_slash_leads_to_the_docs() {
    let app = spawn_app().await;
    api_docs::assert_newcomer_addresses(&app.api, "Cargo Express ecommerce", None).await;
}

#[tokio::test]
async fn every_operation_has_a_summary_a_role_note_and_a_request_example() {
    let app = spawn_app().await;
    api_docs::assert_every_operation_documented(&app.api).await;
}

#[tokio::test]
async fn every_request_example_is_taken_as_it_is_from_a_caller_of_the_role_named_first() {
    let app = spawn_app().await;
    let document = api_docs::served_document(&app.api).await;
    let mut tokens = HashMap::new();
    for role in Role::ALL {
        tokens.insert(role, app.token(role).await);
    }
    // An order of the demo seller's and a portfolio of its own, for the examples that change one.
    let purchase = app
        .purchase(
            &tokens[&Role::MarketplaceUser],
            &json!({"lines": [{"sku": "pk0002", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(purchase.status(), StatusCode::CREATED);
    let purchase: Value = purchase.json().await.unwrap();
    let order = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    let portfolio = app
        .post(
            "/portfolios",
            &tokens[&Role::SellerUser],
            &json!({"name": "Made by the test", "description": "For the examples"}),
        )
        .await;
    assert_eq!(portfolio.status(), StatusCode::CREATED);
    let portfolio: Value = portfolio.json().await.unwrap();
    let portfolio = portfolio["id"].as_str().unwrap().to_owned();
    // A user for the examples that change one.
    let user = app
        .post(
            "/users",
            &tokens[&Role::MarketplaceAdmin],
            &json!({"email": "example@u.test", "password": "violet-harbor-71", "name": "E", "role": "operations_viewer"}),
        )
        .await;
    assert_eq!(user.status(), StatusCode::CREATED);
    let user: Value = user.json().await.unwrap();
    let user = user["id"].as_str().unwrap().to_owned();

    let address = |operation: &Operation| {
        let segments: Vec<&str> = operation.path.split('/').collect();
        let id = match segments.get(1).copied() {
            Some("sellers" | "allies") => DEMO_SELLER,
            Some("products") => DEMO_PRODUCT,
            Some("portfolios") => &portfolio,
            Some("orders") => &order,
            Some("users") => &user,
            _ => return None,
        };
        Some(operation.path.replace("{id}", id).replace("{allyId}", id))
    };
    let left_out = [
        (
            "POST /webhooks/deliveries",
            "needs a Standard Webhooks signature made with the subscription's secret (delivery_webhooks tests it)",
        ),
        (
            "PUT /auth/password",
            "needs the caller's own current password, which no example can know (user_lifecycle tests it)",
        ),
    ];
    let sender = ExampleSender {
        api: &app.api,
        tokens: &tokens,
        any_role: Role::MarketplaceUser,
        address: &address,
        left_out: &left_out,
    };
    let (sent, refused) = sender.send_request_examples(&document).await;
    assert!(refused.is_empty(), "examples refused: {refused:#?}");
    let with_examples = api_docs::operations(&document)
        .iter()
        .filter(|operation| operation.example.is_some())
        .count();
    assert_eq!(sent, with_examples - left_out.len(), "every example sent");
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    api_docs::assert_committed_document(&app.api, "ecommerce", &[]).await;
}
