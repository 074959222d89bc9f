//! Seed 000's generator as it runs: its payload from the fixture, its `str(datetime.now())`
//! timestamps from a machine in Bogotá and from one on UTC.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

const GENERATOR_REPORT: &str = include_str!("fixtures/seed-000/generator-report.json");

/// The generator's payload with a fresh id and `timestamp` as given.
fn generator_report(pedido_id: &str, timestamp: &str) -> Value {
    serde_json::from_str(
        &GENERATOR_REPORT
            .replace("{pedido_id}", pedido_id)
            .replace("{timestamp}", timestamp),
    )
    .unwrap()
}

/// `str(datetime.datetime.now())` on a machine whose clock is on UTC.
fn utc_machine_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

#[tokio::test]
async fn the_generators_report_from_a_machine_in_bogota_is_stored() {
    let app = spawn_app().await;
    let id = new_report_id();
    let response = app
        .report(
            &courier_token(101),
            &generator_report(&id, &local_timestamp(1)),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let stored = app.stored_reports().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].1.data.units, 3);
    assert_eq!(stored[0].1.data.total_cents, 2 * 1200 + 20);
}

#[tokio::test]
async fn the_generator_on_a_utc_machine_is_told_how_to_fix_its_timestamps() {
    let app = spawn_app().await;
    let response = app
        .report(
            &courier_token(101),
            &generator_report(&new_report_id(), &utc_machine_now()),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = problem(response).await;
    assert_eq!(blamed_fields(&problem), ["timestamp"]);
    let detail = problem["detail"].as_str().unwrap();
    for fix in [
        "no time zone",
        "UTC-05:00",
        "INGEST__REPORTS__LOCAL_UTC_OFFSET",
        "datetime.datetime.now().astimezone().isoformat()",
    ] {
        assert!(detail.contains(fix), "{fix:?} missing from {detail:?}");
    }
    assert!(app.stored_reports().await.is_empty());

    // The fix the detail gives: the same clock, with its offset, as `astimezone()` writes it.
    let with_offset = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string();
    let response = app
        .report(
            &courier_token(101),
            &generator_report(&new_report_id(), &with_offset),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_report_with_many_faults_names_every_one() {
    let app = spawn_app().await;
    let mut body = generator_report("42", "ayer");
    body["repartidor"]["IdRepartidor"] = json!("ciento uno");
    body["productos"][1] = json!({"IdProducto": "pk0042"});
    body["productos"][2] = json!("pk0004");

    let response = app.report(&courier_token(101), &body).await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem = problem(response).await;
    assert_eq!(
        blamed_fields(&problem),
        [
            "repartidor.IdRepartidor",
            "productos[2]",
            "pedido_id",
            "productos[1].IdProducto",
            "timestamp",
        ]
    );
    assert!(app.stored_reports().await.is_empty());
}
