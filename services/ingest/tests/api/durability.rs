use std::time::Duration;

use reqwest::StatusCode;
use test_support::TestNats;

use crate::helpers::*;

#[tokio::test]
async fn without_jetstream_a_report_gets_503_with_retry_after_and_later_succeeds() {
    let app = spawn_on(TestNats::start_private().await.unwrap()).await;
    let mut app = app;
    let body = seed_report(&new_report_id(), 101, &["pk0001"]);
    let token = courier_token(101);

    app.nats.stop().unwrap();
    let refused = app.report(&token, &body).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.headers().contains_key("retry-after"));

    app.nats.resume().await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let response = app.report(&token, &body).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            tokio::time::Instant::now() < deadline,
            "never accepted again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.stored_reports().await.len(),
        1,
        "stored once, only after the outage"
    );
}
