use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn reports_need_a_token() {
    let app = spawn_app().await;
    let response = app
        .request(reqwest::Method::POST, "/registrar_pedido_entregado", None)
        .json(&seed_report(&new_report_id(), 101, &["pk0001"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_courier_cannot_report_as_another() {
    let app = spawn_app().await;
    let as_other = app
        .report(
            &courier_token(102),
            &seed_report(&new_report_id(), 101, &["pk0001"]),
        )
        .await;
    assert_eq!(as_other.status(), StatusCode::FORBIDDEN);

    let mut v1 = v1_report(&new_report_id(), &[("pk0001", 1)]);
    v1["courier_id"] = json!(101);
    let as_other = app.post("/v1/reports", &courier_token(105), &v1).await;
    assert_eq!(as_other.status(), StatusCode::FORBIDDEN);

    let mut foreign = v1_report(&new_report_id(), &[("pk0001", 1)]);
    foreign["courier_id"] = json!(101);
    let batch = json!({"reports": [v1_report(&new_report_id(), &[("pk0001", 1)]), foreign]});
    let as_other = app
        .post("/v1/reports/batch", &courier_token(105), &batch)
        .await;
    assert_eq!(as_other.status(), StatusCode::FORBIDDEN);
    assert!(
        problem(as_other).await["detail"]
            .as_str()
            .unwrap()
            .starts_with("forbidden: reports[1].courier_id")
    );
    assert!(app.stored_reports().await.is_empty());
}

#[tokio::test]
async fn only_couriers_report() {
    let app = spawn_app().await;
    for role in Role::ALL.into_iter().filter(|r| *r != Role::Courier) {
        let response = app
            .report(
                &token(role),
                &seed_report(&new_report_id(), 101, &["pk0001"]),
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
}
