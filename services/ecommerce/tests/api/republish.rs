//! `ecommerce republish --since TIME`, the operator's command for after NATS lost events it had
//! acknowledged: it queues what the outbox kept since then, and the running service sends it
//! again (the end-to-end test shows every consumer taking it once: tests/e2e republish).

use std::process::{Command, Output};
use std::time::Duration;

use contracts::orders::OrderStatus;
use platform::auth::Role;
use platform::outbox;
use serde_json::json;

use crate::helpers::{TestApp, spawn_app};

fn republish(app: &TestApp, since: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ecommerce"))
        .args(["republish", "--since", since])
        .env("ECOMMERCE_CONFIG", "/nonexistent/ecommerce.toml")
        .env("ECOMMERCE__DATABASE__URL", app.database_url())
        .output()
        .expect("the ecommerce binary runs")
}

/// Outbox rows not published yet.
async fn unpublished(app: &TestApp) -> i64 {
    app.database()
        .run(|conn| outbox::pending_count(conn).map_err(platform::db::DbError::from))
        .await
        .unwrap()
}

#[tokio::test]
async fn republish_queues_what_the_outbox_kept_since_a_time_and_the_service_sends_it_again() {
    let app = spawn_app().await;
    let since = chrono::Utc::now() - chrono::TimeDelta::seconds(1);
    let buyer = app.token(Role::MarketplaceUser).await;
    let bought = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0003", "quantity": 1}]}),
            None,
        )
        .await;
    assert!(bought.status().is_success());
    let published = app.order_events(OrderStatus::Created, 1).await;
    test_support::eventually_some(Duration::from_secs(30), "the outbox drained", || async {
        (unpublished(&app).await == 0).then_some(())
    })
    .await;

    let output = republish(&app, &since.to_rfc3339());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let queued: i64 = stdout
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("the command says how many rows it queued: {stdout}"));
    assert!(queued >= 1, "the purchase's event at least: {stdout}");

    // The running relay sends them again; JetStream still holds them and drops the copies
    // (same ids, inside its duplicate window), so the stream keeps one event per change.
    test_support::eventually_some(Duration::from_secs(30), "the rows sent again", || async {
        (unpublished(&app).await == 0).then_some(())
    })
    .await;
    let after = app.order_events(OrderStatus::Created, 1).await;
    assert_eq!(
        after.iter().map(|e| e.id).collect::<Vec<_>>(),
        published.iter().map(|e| e.id).collect::<Vec<_>>()
    );

    // A time that is not one is refused, naming what was wrong.
    let refused = republish(&app, "yesterday");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--since \"yesterday\""),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
