use std::collections::BTreeMap;
use std::time::Duration;

use contracts::deliveries::DeliveryStatus;
use delivery::db::schema::delivery_history;
use delivery::domain::lifecycle::next_status;
use diesel::prelude::*;
use platform::auth::Role;
use platform::db::DbError;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{delivery_request, spawn_app, spawn_app_with, start, token};

/// Every history row: delivery id -> [(status, tick)], oldest first.
async fn histories(db: &platform::db::Db) -> BTreeMap<String, Vec<(String, Option<i64>)>> {
    let rows: Vec<(String, String, Option<i64>)> = db
        .run(|conn| -> Result<_, DbError> {
            Ok(delivery_history::table
                .order(delivery_history::id)
                .select((
                    delivery_history::delivery_id,
                    delivery_history::status,
                    delivery_history::tick,
                ))
                .load(conn)?)
        })
        .await
        .unwrap();
    let mut by_delivery: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for (id, status, tick) in rows {
        by_delivery.entry(id).or_default().push((status, tick));
    }
    by_delivery
}

#[tokio::test]
async fn each_tick_moves_every_delivery_one_step_with_a_fair_coin_at_the_last_one() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    for i in 0..100 {
        let response = app
            .post(
                "/deliveries",
                &service,
                &delivery_request(&format!("order-{i}")),
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let worker = app.worker(42);
    let tick = app.clock().current();

    let first = worker.advance(tick + 1).await.unwrap();
    assert_eq!(first.moved, 100);
    assert_eq!(
        worker.advance(tick + 1).await.unwrap().moved,
        0,
        "a tick moves a delivery once"
    );
    assert_eq!(worker.advance(tick + 2).await.unwrap().moved, 100);
    let decisive = worker.advance(tick + 3).await.unwrap();
    assert_eq!(decisive.moved, 100);
    assert_eq!(decisive.delivered + decisive.not_delivered, 100);
    assert!((35..=65).contains(&decisive.delivered), "{decisive:?}");

    // Delivered ones stay; the others go back on the route.
    let after = worker.advance(tick + 4).await.unwrap();
    assert_eq!(after.moved, decisive.not_delivered);
    let admin = token(Role::MarketplaceAdmin);
    let delivered: Value = app
        .get("/deliveries?status=DELIVERED&limit=1", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(delivered["total"], decisive.delivered);
    let on_route: Value = app
        .get("/deliveries?status=IN_ROUTE_OF_DELIVERY&limit=1", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(on_route["total"], decisive.not_delivered);

    for (id, history) in histories(&app.database()).await {
        assert_valid(&id, &history);
    }
}

#[tokio::test]
async fn the_same_seed_draws_the_same_outcomes() {
    let outcome = |seed| async move {
        let app = spawn_app().await;
        for i in 0..40 {
            app.create_delivery(&format!("order-{i}")).await;
        }
        let worker = app.worker(seed);
        let tick = app.clock().current();
        for step in 1..=3 {
            worker.advance(tick + step).await.unwrap();
        }
        worker.advance(tick + 4).await.unwrap().moved
    };
    assert_eq!(outcome(9).await, outcome(9).await);
}

/// Worker rows move one legal step each, in distinct, increasing ticks.
fn assert_valid(id: &str, history: &[(String, Option<i64>)]) {
    assert_eq!(history[0].0, "READY_FOR_PICK_UP", "{id} starts ready");
    for pair in history.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        let from_status = DeliveryStatus::parse(&from.0).unwrap();
        let to_status = DeliveryStatus::parse(&to.0).unwrap();
        let legal = [true, false].map(|coin| next_status(from_status, || coin));
        assert!(
            legal.contains(&Some(to_status)),
            "{id}: {} -> {}",
            from.0,
            to.0
        );
        if let (Some(a), Some(b)) = (from.1, to.1) {
            assert!(b > a, "{id} moved twice in tick {b}");
        }
    }
}

#[tokio::test]
async fn two_replicas_never_move_a_delivery_twice_in_one_tick() {
    let app = spawn_app_with(|s| {
        s.tasks.status_worker = true;
        s.worker.interval_ms = 250;
        s.worker.batch_size = 7;
    })
    .await;
    let replica = start(app.settings.clone()).await;
    let service = token(Role::ServiceClient);
    for i in 0..60 {
        let response = app
            .post(
                "/deliveries",
                &service,
                &delivery_request(&format!("order-{i}")),
            )
            .await;
        assert!(response.status().is_success());
    }
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    replica.stop();

    let histories = histories(&app.database()).await;
    assert_eq!(histories.len(), 60);
    let mut worker_moves = 0;
    for (id, history) in &histories {
        assert_valid(id, history);
        worker_moves += history.iter().filter(|(_, tick)| tick.is_some()).count();
    }
    assert!(
        worker_moves >= 120,
        "the replicas moved deliveries ({worker_moves} moves)"
    );
}
