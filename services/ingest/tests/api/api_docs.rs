//! What a newcomer finds: the addresses people type (`/`, `/docs`), and an API page that
//! explains every operation (summary, who may call it, a request example) with examples that
//! the service takes as they are, sent as "Try it out" sends them.

use std::collections::HashMap;

use platform::auth::Role;
use test_support::api_docs::{self, ExampleSender};

use crate::helpers::{courier_token, spawn_app, token};

#[tokio::test]
async fn the_root_answers_an_index_and_docs_without_its_slash_leads_to_the_docs() {
    let app = spawn_app().await;
    api_docs::assert_newcomer_addresses(&app.api, "Cargo Express ingest", None).await;
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
    let mut tokens: HashMap<Role, String> = Role::ALL.map(|role| (role, token(role))).into();
    // The examples report as courier 101, the first of the seed fleet.
    tokens.insert(Role::Courier, courier_token(101));
    let sender = ExampleSender {
        api: &app.api,
        tokens: &tokens,
        any_role: Role::Courier,
        address: &|_| None,
        left_out: &[],
    };
    let (sent, refused) = sender.send_request_examples(&document).await;
    assert!(refused.is_empty(), "examples refused: {refused:#?}");
    assert_eq!(sent, 3, "the three report operations");
    // Each example was stored: the seed report, the single one and the batch of two.
    assert_eq!(app.stored_reports().await.len(), 4);
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    // Its examples are dated now, so that they are reports the service takes.
    let dated_now = [
        "/components/schemas/SeedReport/example/timestamp",
        "/components/schemas/ReportRequest/example/delivered_at",
        "/components/schemas/BatchRequest/example/reports/0/delivered_at",
        "/components/schemas/BatchRequest/example/reports/1/delivered_at",
    ];
    api_docs::assert_committed_document(&app.api, "ingest", &dated_now).await;
}
