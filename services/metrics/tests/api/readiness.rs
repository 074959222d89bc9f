//! Readiness is explicit: the service says it is ready only once its consumers are attached,
//! so nothing published to it races its start-up.

use metrics_service::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use test_support::app::Instance;
use test_support::http::ServiceClient;
use test_support::tokens::demo_verifier;
use test_support::{TestDatabase, TestNats};

use crate::helpers::test_settings;

async fn readiness(service: &ServiceClient) -> (StatusCode, Value) {
    let answer = service
        .request(Method::GET, "/readyz", None)
        .send()
        .await
        .unwrap();
    (answer.status(), answer.json().await.unwrap())
}

#[tokio::test]
async fn started_without_nats_it_is_not_ready_until_its_consumers_are_attached() {
    platform::telemetry::init_for_test();
    let mut nats = TestNats::start_private().await.unwrap();
    nats.stop().unwrap();
    let db = TestDatabase::create().unwrap();
    let verifier = demo_verifier();
    let service = Instance::run(
        Application::build_with_verifier(test_settings(&nats, &db), verifier)
            .await
            .unwrap(),
    );

    let (status, body) = readiness(&service).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        body["waiting_for"],
        serde_json::json!([
            "KV bucket user_access",
            "notices metrics.rollups.changed",
            "consumer metrics-orders",
            "consumer metrics-deliveries",
            "consumer metrics-courier-reports"
        ])
    );

    nats.resume().await.unwrap();
    service.wait_until_ready().await;
    let (status, body) = readiness(&service).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["waiting_for"], serde_json::json!([]));
}
