//! The API pages with the whole platform running: metrics' request examples taken as they are
//! (the dashboard's log-in asks ecommerce), and, in a real browser, every service's API page
//! listing its operations by their summaries.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use platform::auth::Role;
use serde_json::Value;
use test_support::api_docs::{self, ExampleSender};
use test_support::browser::Browser;
use test_support::http::ServiceClient;

use crate::stack::Stack;

#[tokio::test]
async fn every_request_example_is_taken_as_it_is_from_a_caller_of_the_role_named_first() {
    // The dashboard's log-in asks ecommerce: the whole platform runs.
    let stack = Stack::start().await;
    let document = api_docs::served_document(&stack.metrics).await;
    let tokens = HashMap::from([
        (
            Role::OperationsViewer,
            stack
                .ecommerce
                .token_of("ops@cargoexpress.test", "ops-demo-2026")
                .await,
        ),
        (
            Role::MarketplaceAdmin,
            stack
                .ecommerce
                .token_of("admin@cargoexpress.test", "admin-demo-2026")
                .await,
        ),
    ]);
    let sender = ExampleSender {
        api: &stack.metrics,
        tokens: &tokens,
        any_role: Role::OperationsViewer,
        address: &|_| None,
        left_out: &[],
    };
    let (sent, refused) = sender.send_request_examples(&document).await;
    assert!(refused.is_empty(), "examples refused: {refused:#?}");
    assert_eq!(sent, 1, "the dashboard's log-in");
}

/// The summaries Swagger UI shows on the page, once it has drawn `expected` operations.
async fn summaries_on_page(browser: &Browser, expected: usize) -> Vec<String> {
    let started = Instant::now();
    loop {
        let shown = browser
            .script(
                "return [...document.querySelectorAll('.opblock .opblock-summary-description')]\
                 .map((summary) => summary.textContent.trim());",
            )
            .await;
        let shown: Vec<String> = shown
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if shown.len() >= expected || started.elapsed() > Duration::from_secs(15) {
            return shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn each_services_api_page_lists_every_operation_by_its_summary_in_a_browser() {
    let stack = Stack::start().await;
    let browser = Browser::start("America/Bogota").await;
    let services: [(&str, &ServiceClient); 4] = [
        ("Cargo Express ecommerce", &stack.ecommerce),
        ("Cargo Express delivery", &stack.delivery),
        ("Cargo Express ingest", &stack.ingest),
        ("Cargo Express metrics", &stack.metrics),
    ];
    for (title, service) in services {
        let document = api_docs::served_document(service).await;
        let operations = api_docs::operations(&document);
        // Typed as a newcomer types it: no trailing slash.
        browser.go(&format!("{}/docs", service.address)).await;
        browser
            .wait_for_text(".swagger-ui .info .title", "the API page", |t| {
                t.contains(title)
            })
            .await;
        let url = browser
            .command(reqwest::Method::GET, "/url", Value::Null)
            .await;
        assert_eq!(
            url.as_str(),
            Some(format!("{}/docs/", service.address).as_str()),
            "{title}: /docs leads to /docs/"
        );
        let shown = summaries_on_page(&browser, operations.len()).await;
        assert_eq!(shown.len(), operations.len(), "{title}: {shown:#?}");
        for operation in &operations {
            assert!(
                shown.contains(&operation.summary),
                "{title}: {} ({:?}) is not on the page: {shown:#?}",
                operation.name(),
                operation.summary
            );
        }
    }
    browser.quit().await;
}
