use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_seed_report_is_stored_priced_from_the_catalog_under_its_pedido_id() {
    let app = spawn_app().await;
    let pedido = new_report_id();
    let body = seed_report(&pedido, 101, &["pk0001", "pk0004", "pk0001"]);

    let response = app.report(&courier_token(101), &body).await;

    assert_eq!(response.status(), StatusCode::OK);
    let receipt: Value = response.json().await.unwrap();
    assert_eq!(receipt["status"], "accepted");
    assert_eq!(receipt["pedido_id"], pedido.as_str());
    let stored = app.stored_reports().await;
    assert_eq!(stored.len(), 1);
    let (message_id, event) = &stored[0];
    assert_eq!(message_id, &pedido);
    assert_eq!(event.id.to_string(), pedido);
    let report = &event.data;
    assert_eq!(report.courier_id, 101);
    assert_eq!(
        report.courier_name, "Courier 101",
        "the fleet names the courier"
    );
    let lines: Vec<(&str, i64, i64)> = report
        .lines
        .iter()
        .map(|l| (l.sku.as_str(), l.quantity, l.unit_price_cents))
        .collect();
    assert_eq!(lines, [("pk0001", 2, 100), ("pk0004", 1, 1200)]);
    assert_eq!(report.units, 3);
    assert_eq!(report.total_cents, 1400, "the device's prices are ignored");
    let lag = report.received_at - report.delivered_at;
    assert!(lag.num_seconds() >= 2 && lag.num_seconds() < 60, "{lag}");
}

#[tokio::test]
async fn a_resent_report_is_stored_once() {
    let app = spawn_app().await;
    let body = seed_report(&new_report_id(), 101, &["pk0002"]);
    let token = courier_token(101);

    let first: Value = app.report(&token, &body).await.json().await.unwrap();
    let second = app.report(&token, &body).await;

    assert_eq!(first["duplicate"], false);
    assert_eq!(second.status(), StatusCode::OK, "a retry is accepted again");
    assert_eq!(second.json::<Value>().await.unwrap()["duplicate"], true);
    assert_eq!(app.stored_reports().await.len(), 1);
}

#[tokio::test]
async fn the_versioned_endpoint_takes_quantities_and_a_tracking_number() {
    let app = spawn_app().await;
    let id = new_report_id();
    let mut body = v1_report(&id, &[("pk0005", 4), ("pk0010", 10)]);
    body["tracking_number"] = json!("CX0123456789ABCDEF");
    let token = courier_token(103);

    let created = app.post("/v1/reports", &token, &body).await;
    let again = app.post("/v1/reports", &token, &body).await;

    assert_eq!(created.status(), StatusCode::CREATED);
    let receipt: Value = created.json().await.unwrap();
    assert_eq!(receipt["units"], 14);
    assert_eq!(receipt["total_cents"], 4 * 300 + 10 * 20);
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "a duplicate is not created again"
    );
    let stored = app.stored_reports().await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].1.data.courier_id, 103,
        "the caller's courier by default"
    );
    assert_eq!(
        stored[0].1.data.tracking_number.as_deref(),
        Some("CX0123456789ABCDEF")
    );
}

#[tokio::test]
async fn a_batch_stores_every_report_or_none() {
    let app = spawn_app().await;
    let token = courier_token(104);
    let ids = [new_report_id(), new_report_id(), new_report_id()];
    let reports: Vec<Value> = ids
        .iter()
        .map(|id| v1_report(id, &[("pk0003", 1)]))
        .collect();
    let mut invalid = reports.clone();
    invalid[1]["lines"][0]["sku"] = json!("pk0404");

    let refused = app
        .post("/v1/reports/batch", &token, &json!({"reports": invalid}))
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blamed_fields(&problem(refused).await),
        ["reports[1].lines[0].sku"]
    );
    assert!(
        app.stored_reports().await.is_empty(),
        "nothing of a refused batch is stored"
    );

    let accepted = app
        .post("/v1/reports/batch", &token, &json!({"reports": reports}))
        .await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let receipt: Value = accepted.json().await.unwrap();
    assert_eq!(receipt["reports"].as_array().unwrap().len(), 3);
    let stored: Vec<String> = app
        .stored_reports()
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(stored, ids);
}

#[tokio::test]
async fn with_an_empty_catalog_reports_are_judged_not_left_waiting() {
    // The fleet is there, the catalog has no product (its only seller was deleted).
    let nats = test_support::TestNats::start().await.unwrap();
    let connection = nats.client().await.unwrap();
    test_support::reference::set_courier(&connection, 101, true)
        .await
        .unwrap();
    let app = start(nats).await;

    let response = app
        .report(
            &courier_token(101),
            &seed_report(&new_report_id(), 101, &["pk0001"]),
        )
        .await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blamed_fields(&problem(response).await),
        ["productos[0].IdProducto"]
    );
    assert!(app.stored_reports().await.is_empty());
}

#[tokio::test]
async fn two_replicas_store_each_report_once_whichever_gets_it() {
    let app = spawn_app().await;
    let replica = start_replica(&app).await;
    let token = courier_token(102);
    let pedidos: Vec<String> = (0..6).map(|_| new_report_id()).collect();
    for (i, pedido) in pedidos.iter().enumerate() {
        let body = seed_report(pedido, 102, &["pk0002"]);
        let first = if i % 2 == 0 { &app.api } else { &replica.api };
        let second = if i % 2 == 0 { &replica.api } else { &app.api };
        assert_eq!(
            first
                .post("/registrar_pedido_entregado", &token, &body)
                .await
                .status(),
            StatusCode::OK
        );
        // The device retries through the other replica (a lost answer): stored once.
        let again: Value = second
            .post("/registrar_pedido_entregado", &token, &body)
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(again["duplicate"], true, "{again}");
    }
    let stored: Vec<String> = app
        .stored_reports()
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    assert_eq!(stored, pedidos);
}
