use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use platform::auth::Role;
use serde_json::Value;
use test_support::tokens::demo_issuer_lasting;

use crate::helpers::*;

/// Reads server-sent events from `response` until one named `name` arrives; returns its data.
async fn next_event(
    body: &mut (impl futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Unpin),
    buffer: &mut String,
    name: &str,
) -> Value {
    loop {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let mut event = "message";
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    event = if value.trim() == name { name } else { "other" };
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.trim());
                }
            }
            if event == name {
                return serde_json::from_str(&data).unwrap();
            }
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .unwrap();
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_stream_pushes_new_numbers_when_a_report_arrives() {
    let app = spawn_app().await;
    let publisher = app.publisher().await;
    let response = app
        .get("/v1/metrics/stream?hours=1", &token(Role::OperationsViewer))
        .await;
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let mut buffer = String::new();

    let first = next_event(&mut body, &mut buffer, "summary").await;
    assert_eq!(first["revenue_per_hour"]["total_reports"], 0);

    publisher
        .report(&report(104, Utc::now(), 50, &[("pk0006", 3, 1000)]))
        .await;
    let pushed = loop {
        let summary = next_event(&mut body, &mut buffer, "summary").await;
        if summary["revenue_per_hour"]["total_reports"] == 1 {
            break summary;
        }
    };
    assert_eq!(pushed["revenue_per_hour"]["total_revenue_cents"], 3000);
    assert_eq!(
        pushed["top_products_by_units"]["products"][0]["sku"],
        "pk0006"
    );
}

#[tokio::test]
async fn the_stream_says_when_the_session_expires() {
    let app = spawn_app().await;
    let short = demo_issuer_lasting(2);
    let response = app
        .get(
            "/v1/metrics/stream",
            &token_by(&short, Role::OperationsViewer),
        )
        .await;
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    next_event(&mut body, &mut buffer, "summary").await;
    next_event(&mut body, &mut buffer, "expired").await;
    let end = tokio::time::timeout(Duration::from_secs(5), body.next())
        .await
        .unwrap();
    assert!(end.is_none(), "the stream ends after `expired`");
}

#[tokio::test]
async fn a_viewer_of_one_replica_sees_the_events_another_replica_consumed() {
    platform::telemetry::init_for_test();
    let nats = test_support::TestNats::start().await.unwrap();
    let db = test_support::TestDatabase::create().unwrap();
    let _consuming = start(test_settings(&nats, &db)).await;
    let mut serving_only = test_settings(&nats, &db);
    serving_only.tasks.consumers = false;
    let replica = start(serving_only).await;
    let response = replica
        .get("/v1/metrics/stream?hours=1", &token(Role::OperationsViewer))
        .await;
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let first = next_event(&mut body, &mut buffer, "summary").await;
    assert_eq!(first["revenue_per_hour"]["total_reports"], 0);

    Publisher::connect(&nats)
        .await
        .report(&report(105, Utc::now(), 20, &[("pk0004", 1, 1200)]))
        .await;

    loop {
        let summary = next_event(&mut body, &mut buffer, "summary").await;
        if summary["revenue_per_hour"]["total_reports"] == 1 {
            break;
        }
    }
}
