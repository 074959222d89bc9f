//! What a newcomer finds: the addresses people type (`/`, `/docs`), and an API page that
//! explains every operation (summary, who may call it, a request example) with examples that
//! the service takes as they are, sent as "Try it out" sends them.

use std::collections::HashMap;

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::Value;
use test_support::api_docs::{self, ExampleSender, Operation};

use crate::helpers::{spawn_app, token};

#[tokio::test]
async fn the_root_answers_an_index_and_docs_without_its_slash_leads_to_the_docs() {
    let app = spawn_app().await;
    api_docs::assert_newcomer_addresses(&app.api, "Cargo Express delivery", None).await;
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
    let tokens: HashMap<Role, String> = Role::ALL.map(|role| (role, token(role))).into();
    // The delivery and the subscription the page's own examples make, for the examples that
    // change one (made by the service client, who owns them).
    let client = &tokens[&Role::ServiceClient];
    let mut made = HashMap::new();
    for (name, path) in [
        ("POST /deliveries", "/deliveries"),
        ("POST /webhooks/subscriptions", "/webhooks/subscriptions"),
    ] {
        let example = api_docs::example_of(&document, name).unwrap();
        let answer = app.post(path, client, &example).await;
        assert_eq!(answer.status(), StatusCode::CREATED, "{name}");
        let body: Value = answer.json().await.unwrap();
        made.insert(path, body["id"].as_str().unwrap().to_owned());
    }
    let address = |operation: &Operation| {
        let collection = ["/deliveries", "/webhooks/subscriptions"]
            .into_iter()
            .find(|collection| operation.path.starts_with(&format!("{collection}/{{id}}")))?;
        Some(operation.path.replace("{id}", &made[collection]))
    };
    let sender = ExampleSender {
        api: &app.api,
        tokens: &tokens,
        // Finds the deliveries it created when tracking.
        any_role: Role::ServiceClient,
        address: &address,
        left_out: &[],
    };
    let (sent, refused) = sender.send_request_examples(&document).await;
    assert!(refused.is_empty(), "examples refused: {refused:#?}");
    let with_examples = api_docs::operations(&document)
        .iter()
        .filter(|operation| operation.example.is_some())
        .count();
    assert_eq!(sent, with_examples, "every example sent");
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    api_docs::assert_committed_document(&app.api, "delivery", &[]).await;
}
