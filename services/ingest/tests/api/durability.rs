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
    test_support::eventually(
        Duration::from_secs(20),
        "the report accepted again",
        || async {
            let status = app.report(&token, &body).await.status();
            if status != StatusCode::OK {
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
            }
            status == StatusCode::OK
        },
    )
    .await;
    assert_eq!(
        app.stored_reports().await.len(),
        1,
        "stored once, only after the outage"
    );
}

#[tokio::test]
async fn when_nats_loses_the_reports_stream_ingest_makes_it_again_and_accepts_within_seconds() {
    let app = spawn_app().await;
    let token = courier_token(101);
    let first = seed_report(&new_report_id(), 101, &["pk0001"]);
    assert_eq!(app.report(&token, &first).await.status(), StatusCode::OK);

    let nats = app.nats_client().await;
    nats.jetstream()
        .delete_stream(
            nats.namespace()
                .stream_name(&contracts::streams::COURIER_REPORTS),
        )
        .await
        .unwrap();

    // No consumer runs here to make the stream again: ingest does, on the first refusal.
    let report = seed_report(&new_report_id(), 101, &["pk0002"]);
    let started = tokio::time::Instant::now();
    loop {
        let response = app.report(&token, &report).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "never accepted again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let stored = app.stored_reports().await;
    assert_eq!(stored.len(), 1, "the report after the loss, once");
    let recovered = app.recovered().await;
    assert!(
        recovered
            .iter()
            .any(|r| r.ends_with("stream COURIER_REPORTS was missing: recreated")),
        "{recovered:?}"
    );
}

#[tokio::test]
async fn metrics_say_how_full_the_reports_stream_is_against_its_cap() {
    let app = spawn_app().await;
    let token = courier_token(101);
    let report = seed_report(&new_report_id(), 101, &["pk0001"]);
    assert_eq!(app.report(&token, &report).await.status(), StatusCode::OK);
    let cap = r#"jetstream_stream_max_bytes{stream="COURIER_REPORTS"} 1073741824"#;
    let exposition =
        test_support::eventually_some(Duration::from_secs(30), "the stream's gauges", || async {
            let text = reqwest::get(format!("{}/metrics", app.address))
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            text.contains(cap).then_some(text)
        })
        .await;
    assert!(
        exposition.contains(r#"jetstream_stream_fill_ratio{stream="COURIER_REPORTS"}"#),
        "{exposition}"
    );
}
