//! Each metric's arithmetic against a known set of events, redeliveries included, and a replay
//! of the streams into an empty database giving the same numbers.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use contracts::deliveries::DeliveryStatus;
use contracts::orders::OrderStatus;
use contracts::streams::StreamSpec;
use serde_json::{Value, json};
use test_support::TestDatabase;

use crate::helpers::*;

/// Two hours before the start of this hour: every event below falls in the last 24 hours.
fn base() -> DateTime<Utc> {
    Utc::now().duration_trunc(TimeDelta::hours(1)).unwrap() - TimeDelta::hours(2)
}

fn minutes(m: i64) -> DateTime<Utc> {
    base() + TimeDelta::minutes(m)
}

async fn publish_known_events(publisher: &Publisher) {
    let first = report(
        101,
        minutes(10),
        200,
        &[("pk0001", 2, 100), ("pk0004", 1, 1200)],
    );
    publisher.report(&first).await;
    publisher
        .report(&report(101, minutes(50), 400, &[("pk0004", 1, 1200)]))
        .await;
    publisher
        .report(&report(102, minutes(70), 600, &[("pk0001", 5, 100)]))
        .await;
    // The first report again, as a redelivery would bring it.
    publisher
        .publish(contracts::courier_reports::subject(), &first, "again")
        .await;

    for (courier, status) in [
        (101, DeliveryStatus::Delivered),
        (101, DeliveryStatus::NotDelivered),
        (101, DeliveryStatus::Delivered),
        (102, DeliveryStatus::NotDelivered),
        (102, DeliveryStatus::InOrigin),
    ] {
        publisher
            .delivery(&delivery_change(courier, status, minutes(30)))
            .await;
    }

    let orders = [
        ("o1", OrderStatus::Created, 0),
        ("o1", OrderStatus::Confirmed, 5),
        ("o1", OrderStatus::Dispatched, 10),
        ("o1", OrderStatus::Delivered, 40),
        ("o2", OrderStatus::Created, 0),
        ("o2", OrderStatus::Dispatched, 20),
        ("o2", OrderStatus::Delivered, 80),
        // A late, older event does not undo the cancellation.
        ("o3", OrderStatus::Cancelled, 15),
        ("o3", OrderStatus::Created, 1),
        ("o4", OrderStatus::Created, 2),
    ];
    for (order, status, at) in orders {
        publisher
            .order(&order_change(order, status, minutes(at)))
            .await;
    }
}

/// The summary without its windows (they move with the clock), for comparisons.
fn numbers(mut summary: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("window");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut summary);
    summary
}

/// Whether `summary` counts every known event, with `reports` reports in all.
fn complete(summary: &Value, reports: i64) -> bool {
    summary["revenue_per_hour"]["total_reports"] == reports
        && summary["delivery_outcomes"]["not_delivered"] == 2
        && summary["orders_by_status"]["total"] == 4
        && summary["dispatch_to_delivered"]["orders"] == 2
}

#[tokio::test]
async fn every_metric_adds_up_and_a_redelivered_event_counts_once() {
    let app = spawn_app().await;
    let publisher = app.publisher().await;
    publish_known_events(&publisher).await;
    // Handled after everything above (one consumer per stream, in order).
    publisher
        .report(&report(103, minutes(90), 0, &[("pk0010", 1, 20)]))
        .await;

    let summary = app.summary_when("every event", |s| complete(s, 4)).await;

    let (first, second) = (base(), base() + TimeDelta::hours(1));
    let hour = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let deliveries: Vec<(String, i64, i64)> = summary["deliveries_per_hour"]["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["hour"].as_str().unwrap().to_owned(),
                h["courier_id"].as_i64().unwrap(),
                h["deliveries"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        deliveries,
        [
            (hour(first), 101, 2),
            (hour(second), 102, 1),
            (hour(second), 103, 1)
        ]
    );
    assert_eq!(
        summary["deliveries_per_hour"]["couriers"][0],
        json!({"courier_id": 101, "courier_name": "Courier 101", "deliveries": 2})
    );

    let by_units: Vec<(&str, i64)> = summary["top_products_by_units"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["sku"].as_str().unwrap(), p["units"].as_i64().unwrap()))
        .collect();
    assert_eq!(by_units, [("pk0001", 7), ("pk0004", 2), ("pk0010", 1)]);
    let by_revenue: Vec<(&str, i64)> = summary["top_products_by_revenue"]["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["sku"].as_str().unwrap(),
                p["revenue_cents"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        by_revenue,
        [("pk0004", 2400), ("pk0001", 700), ("pk0010", 20)]
    );

    let revenue = &summary["revenue_per_hour"];
    let per_hour: Vec<i64> = revenue["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["revenue_cents"].as_i64().unwrap())
        .collect();
    assert_eq!(per_hour, [2600, 520]);
    assert_eq!(revenue["total_revenue_cents"], 3120);
    assert_eq!(revenue["total_units"], 10);

    let outcomes = &summary["delivery_outcomes"];
    assert_eq!(outcomes["couriers"][0]["courier_id"], 101);
    assert_eq!(outcomes["couriers"][0]["delivered"], 2);
    assert_eq!(outcomes["couriers"][0]["not_delivered"], 1);
    assert!((outcomes["couriers"][0]["delivered_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(outcomes["couriers"][1]["delivered_rate"], 0.0);
    assert_eq!(outcomes["delivered_rate"], 0.5);

    let statuses: Vec<(&str, i64)> = summary["orders_by_status"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["status"].as_str().unwrap(), s["orders"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("created", 1),
            ("confirmed", 0),
            ("dispatched", 0),
            ("delivered", 2),
            ("cancelled", 1)
        ]
    );
    assert_eq!(summary["dispatch_to_delivered"]["average_seconds"], 2700.0);
    assert_eq!(summary["dispatch_to_delivered"]["max_seconds"], 3600.0);

    let lag = &summary["ingest_lag"];
    assert_eq!(lag["reports"], 4);
    assert_eq!(lag["average_ms"], 300.0);
    assert_eq!(lag["max_ms"], 600);

    // The per-metric endpoints answer the same numbers as the summary.
    let viewer = token(platform::auth::Role::OperationsViewer);
    let single: Value = app
        .get("/v1/metrics/top-products?by=revenue&limit=1", &viewer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(single["products"].as_array().unwrap().len(), 1);
    assert_eq!(single["products"][0]["sku"], "pk0004");
    for (path, key) in [
        ("deliveries-per-hour", "deliveries_per_hour"),
        ("revenue-per-hour", "revenue_per_hour"),
        ("delivery-outcomes", "delivery_outcomes"),
        ("orders-by-status", "orders_by_status"),
        ("dispatch-to-delivered", "dispatch_to_delivered"),
        ("ingest-lag", "ingest_lag"),
    ] {
        let metric: Value = app
            .get(&format!("/v1/metrics/{path}"), &viewer)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(numbers(metric), numbers(summary[key].clone()), "{path}");
    }
}

#[tokio::test]
async fn replaying_the_streams_into_an_empty_database_gives_the_same_numbers() {
    let app = spawn_app().await;
    publish_known_events(&app.publisher().await).await;
    let before = app.summary_when("every event", |s| complete(s, 3)).await;
    app.stop();

    // The runbook's rebuild: forget the consumers' positions, start on an empty database.
    let nats = app.nats_client().await;
    let (jetstream, namespace) = (nats.jetstream(), nats.namespace());
    let consumers: [(StreamSpec, &str); 3] = [
        (contracts::streams::ORDERS, "metrics-orders"),
        (contracts::streams::DELIVERIES, "metrics-deliveries"),
        (
            contracts::streams::COURIER_REPORTS,
            "metrics-courier-reports",
        ),
    ];
    for (stream, consumer) in consumers {
        let stream = jetstream
            .get_stream(namespace.stream_name(&stream))
            .await
            .unwrap();
        stream
            .delete_consumer(&namespace.consumer_name(consumer))
            .await
            .unwrap();
    }
    let db = TestDatabase::create().unwrap();
    let replayed = start(test_settings(&app.nats, &db)).await;
    replayed.wait_until_ready().await;
    let viewer = token(platform::auth::Role::OperationsViewer);
    let after: Value = test_support::eventually_ok(
        std::time::Duration::from_secs(15),
        "the replay to complete",
        || async {
            let after: Value = replayed
                .get("/v1/metrics/summary", &viewer)
                .await
                .json()
                .await
                .unwrap();
            if complete(&after, 3) {
                Ok(after)
            } else {
                Err(after)
            }
        },
    )
    .await;
    assert_eq!(numbers(after), numbers(before));
}

#[tokio::test]
async fn two_replicas_consuming_together_count_each_event_once() {
    let app = spawn_app().await;
    // A second replica on the same NATS and database: both take from the same durable
    // consumers and add to the same rollups.
    let _replica = start(app.settings.clone()).await;
    let publisher = app.publisher().await;
    for i in 0..40 {
        publisher
            .report(&report(101 + i % 10, minutes(i), 10, &[("pk0001", 1, 100)]))
            .await;
    }
    let summary = app
        .summary_when("every report", |s| {
            s["revenue_per_hour"]["total_reports"] == 40
        })
        .await;
    assert_eq!(summary["revenue_per_hour"]["total_revenue_cents"], 4000);
}
