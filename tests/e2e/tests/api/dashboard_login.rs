//! The dashboard's log-in goes through ecommerce's log-in throttle: metrics forwards each
//! caller's address, so callers are counted apart, and passes the throttle's 429 on.

use reqwest::{Method, Response, StatusCode};
use serde_json::json;

use crate::stack::Stack;

/// `POST /dashboard/session` from `client` (as a proxy in front of metrics would say).
async fn session_from(stack: &Stack, client: &str, email: &str, password: &str) -> Response {
    stack
        .metrics
        .request(Method::POST, "/dashboard/session", None)
        .header("x-forwarded-for", client)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_dashboard_log_in_passes_on_the_throttle_and_counts_each_caller_apart() {
    let stack = Stack::start_with(|shop| shop.login_throttle.address_free_failures = 2).await;
    let ops = ("ops@cargoexpress.test", "ops-demo-2026");
    for n in 0..3 {
        let email = format!("viewer{n}@example.com");
        let wrong = session_from(&stack, "203.0.113.7", &email, "a-guess-123").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{email}");
    }

    let refused = session_from(&stack, "203.0.113.7", ops.0, ops.1).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let problem: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(
        problem["type"],
        "urn:cargo-express:problem:too-many-requests"
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("too many failed log-ins"),
        "{problem}"
    );

    // Another caller of the same dashboard is not held back by the first one's guesses.
    let other = session_from(&stack, "198.51.100.9", ops.0, ops.1).await;
    assert_eq!(other.status(), StatusCode::OK);
}
