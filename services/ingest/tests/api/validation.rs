use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// Posts `body` as courier 101 to `path`; returns the status and the fields blamed.
async fn refused(app: &TestApp, path: &str, body: serde_json::Value) -> (StatusCode, Vec<String>) {
    let response = app.post(path, &courier_token(101), &body).await;
    let status = response.status();
    (status, blamed_fields(&problem(response).await))
}

#[tokio::test]
async fn bad_reports_get_a_problem_naming_the_field() {
    let app = spawn_app().await;
    let seed = "/registrar_pedido_entregado";
    let good = || seed_report(&new_report_id(), 101, &["pk0001"]);

    let mut unknown_product = good();
    unknown_product["productos"] = json!([{"IdProducto": "pk0001"}, {"IdProducto": "pk0042"}]);
    let mut empty = good();
    empty["productos"] = json!([]);
    let mut future = good();
    future["timestamp"] = json!(local_timestamp(-3600));
    let mut garbled_time = good();
    garbled_time["timestamp"] = json!("ayer");
    let mut not_uuid = good();
    not_uuid["pedido_id"] = json!("42");
    let mut wrong_type = good();
    wrong_type["repartidor"]["IdRepartidor"] = json!("ciento uno");
    let mut missing = good();
    missing.as_object_mut().unwrap().remove("productos");

    let cases = [
        (unknown_product, "productos[1].IdProducto"),
        (empty, "productos"),
        (future, "timestamp"),
        (garbled_time, "timestamp"),
        (not_uuid, "pedido_id"),
        (wrong_type, "repartidor.IdRepartidor"),
        (missing, "productos"),
    ];
    for (body, field) in cases {
        assert_eq!(
            refused(&app, seed, body).await,
            (StatusCode::UNPROCESSABLE_ENTITY, vec![field.to_owned()]),
            "{field}"
        );
    }
    let zero = v1_report(&new_report_id(), &[("pk0001", 0)]);
    assert_eq!(
        refused(&app, "/v1/reports", zero).await,
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["lines[0].quantity".to_owned()]
        )
    );
    assert!(app.stored_reports().await.is_empty());
}

#[tokio::test]
async fn malformed_json_is_a_bad_request() {
    let app = spawn_app().await;
    let response = app
        .request(
            reqwest::Method::POST,
            "/registrar_pedido_entregado",
            Some(&courier_token(101)),
        )
        .header("content-type", "application/json")
        .body("{\"pedido_id\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        problem(response).await["type"],
        "urn:cargo-express:problem:malformed-request"
    );
}

#[tokio::test]
async fn a_courier_unknown_to_the_fleet_is_refused() {
    let app = spawn_app().await;
    let response = app
        .report(
            &courier_token(999),
            &seed_report(&new_report_id(), 999, &["pk0001"]),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blamed_fields(&problem(response).await),
        ["repartidor.IdRepartidor"]
    );
}
