//! What a newcomer finds: the addresses people type (`/`, `/docs`, `/dashboard`) and an API page
//! that explains every operation (summary, who may call it, a request example). Its examples are
//! sent with the whole platform running (the dashboard's log-in asks ecommerce), in tests/e2e.

use test_support::api_docs;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_root_answers_an_index_browsers_land_on_the_dashboard_and_docs_needs_no_slash() {
    let app = spawn_app().await;
    api_docs::assert_newcomer_addresses(&app.api, "Cargo Express metrics", Some("/dashboard/"))
        .await;
}

#[tokio::test]
async fn every_operation_has_a_summary_a_role_note_and_a_request_example() {
    let app = spawn_app().await;
    api_docs::assert_every_operation_documented(&app.api).await;
}

#[tokio::test]
async fn the_served_document_is_the_committed_one() {
    let app = spawn_app().await;
    api_docs::assert_committed_document(&app.api, "metrics", &[]).await;
}
