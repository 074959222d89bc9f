use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{problem, spawn_app};

#[tokio::test]
async fn health_readiness_and_metrics_answer_without_a_token() {
    let app = spawn_app().await;
    let health = app
        .request(Method::GET, "/healthz", None)
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    let ready = app
        .request(Method::GET, "/readyz", None)
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(
        (body["database"].as_str(), body["nats"].as_str()),
        (Some("ok"), Some("ok"))
    );

    let metrics = app
        .request(Method::GET, "/metrics", None)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains("http_requests_total"),
        "request counter exported: {text}"
    );
    assert!(
        text.contains(r#"route="/healthz""#),
        "requests are labelled by route"
    );
}

#[tokio::test]
async fn readiness_reports_nats_down_with_503() {
    let mut app = crate::helpers::spawn_app_with(|_| {}).await;
    if app.nats.stop().is_err() {
        return; // a shared NATS (TEST_NATS_URL) cannot be stopped by one test
    }
    let body: Value = test_support::eventually_some(
        std::time::Duration::from_secs(30),
        "readiness to notice NATS was down",
        || async {
            let ready = app
                .request(Method::GET, "/readyz", None)
                .send()
                .await
                .unwrap();
            match ready.status() {
                StatusCode::SERVICE_UNAVAILABLE => Some(ready.json().await.unwrap()),
                _ => None,
            }
        },
    )
    .await;
    assert_eq!(body["nats"], "unavailable");
    assert_eq!(body["database"], "ok");
    app.nats.resume().await.unwrap();
}

#[tokio::test]
async fn openapi_document_and_interactive_docs_are_served() {
    let app = spawn_app().await;
    let spec: Value = app
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/auth/login",
        "/users",
        "/sellers",
        "/products",
        "/portfolios/{id}",
        "/readyz",
    ] {
        assert!(spec["paths"].get(path).is_some(), "{path} documented");
    }
    assert!(
        spec["components"]["securitySchemes"]
            .get("bearer")
            .is_some()
    );
    let docs = app
        .request(Method::GET, "/docs/", None)
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(
        docs.text().await.unwrap().contains("swagger"),
        "interactive docs page"
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/healthz", None)
        .send()
        .await
        .unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id header");
    assert_eq!(id.to_str().unwrap().len(), 36, "a uuid");
}

#[tokio::test]
async fn unknown_routes_get_a_problem_not_an_empty_404() {
    let app = spawn_app().await;
    let response = app
        .request(Method::GET, "/no/such/route", None)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body = problem(response).await;
    assert_eq!(body["status"], 404);
}
