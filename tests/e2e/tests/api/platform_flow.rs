//! The four services together: a purchase is dispatched, its courier reports it delivered
//! through ingest, delivery and ecommerce close it, and the metrics show it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use test_support::http::ok;

use crate::stack::Stack;

/// Polls `check` until it gives a value; fails after 30 seconds.
async fn eventually<T, F, Fut>(what: &str, check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    test_support::eventually_some(Duration::from_secs(30), what, check).await
}

#[tokio::test]
async fn a_courier_report_closes_the_order_and_reaches_the_metrics() {
    let stack = Stack::start().await;

    // The dashboard's log-in admits the operations viewer only.
    let session = |email: &str, password: &str| {
        let body = json!({"email": email, "password": password});
        let metrics = &stack.metrics;
        async move {
            metrics
                .request(reqwest::Method::POST, "/dashboard/session", None)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let viewer = ok(session("ops@cargoexpress.test", "ops-demo-2026").await).await;
    assert_eq!(viewer["role"], "operations_viewer");
    let viewer = viewer["access_token"].as_str().unwrap().to_owned();
    let courier_session = session("courier101@cargoexpress.test", "courier-demo-2026").await;
    assert_eq!(courier_session.status(), StatusCode::FORBIDDEN);
    let wrong = session("ops@cargoexpress.test", "guess").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);

    // Bought, confirmed and dispatched in ecommerce.
    let buyer = stack
        .ecommerce
        .token_of("buyer@cargoexpress.test", "buyer-demo-2026")
        .await;
    let seller = stack
        .ecommerce
        .token_of("seller@cargoexpress.test", "seller-demo-2026")
        .await;
    let lines =
        json!({"lines": [{"sku": "pk0004", "quantity": 2}, {"sku": "pk0001", "quantity": 3}]});
    let purchase = ok(stack.ecommerce.post("/orders", &buyer, &lines).await).await;
    let order_id = purchase["orders"][0]["id"].as_str().unwrap().to_owned();
    let order_path = format!("/orders/{order_id}");
    for status in ["confirmed", "dispatched"] {
        let change = json!({"status": status});
        ok(stack
            .ecommerce
            .post(&format!("{order_path}/status"), &seller, &change)
            .await)
        .await;
    }

    // Its delivery exists by itself; its courier reports it delivered with the tracking number.
    let admin = stack
        .ecommerce
        .token_of("admin@cargoexpress.test", "admin-demo-2026")
        .await;
    let delivery = eventually("the delivery", || async {
        let found = ok(stack.delivery.get("/deliveries", &admin).await).await;
        let delivery = found["items"][0].clone();
        (delivery["order"]["foreign_order_id"] == order_id.as_str()).then_some(delivery)
    })
    .await;
    let courier_id = delivery["courier"]["id"].as_i64().unwrap();
    let courier = stack
        .ecommerce
        .token_of(
            &format!("courier{courier_id}@cargoexpress.test"),
            "courier-demo-2026",
        )
        .await;
    let report = json!({
        "report_id": uuid::Uuid::new_v4().to_string(),
        "lines": [{"sku": "pk0004", "quantity": 2}, {"sku": "pk0001", "quantity": 3}],
        "delivered_at": chrono::Utc::now().to_rfc3339(),
        "tracking_number": delivery["tracking_number"],
    });
    let stored = stack.report("/v1/reports", &courier, &report).await;
    assert_eq!(stored.status(), StatusCode::CREATED);
    // A second courier reports a plain delivery, in seed 000's format.
    let other = if courier_id == 110 {
        101
    } else {
        courier_id + 1
    };
    let other_token = stack
        .ecommerce
        .token_of(
            &format!("courier{other}@cargoexpress.test"),
            "courier-demo-2026",
        )
        .await;
    let plain = Stack::seed_report(other, &["pk0010", "pk0010"]);
    let stored = stack
        .report("/registrar_pedido_entregado", &other_token, &plain)
        .await;
    assert_eq!(stored.status(), StatusCode::OK);

    eventually("the order to be delivered", || async {
        let order = ok(stack.ecommerce.get(&order_path, &buyer).await).await;
        (order["status"] == "delivered").then_some(())
    })
    .await;

    let summary = eventually("the metrics", || async {
        let summary = ok(stack.metrics.get("/v1/metrics/summary", &viewer).await).await;
        let complete = summary["revenue_per_hour"]["total_reports"] == 2
            && summary["orders_by_status"]["statuses"][3]["orders"] == 1
            && summary["delivery_outcomes"]["delivered"] == 1;
        complete.then_some(summary)
    })
    .await;
    assert_eq!(
        summary["revenue_per_hour"]["total_revenue_cents"],
        2 * 1200 + 3 * 100 + 2 * 20
    );
    assert_eq!(
        summary["orders_by_status"]["statuses"][3]["status"],
        "delivered"
    );
    assert_eq!(summary["dispatch_to_delivered"]["orders"], 1);
    assert_eq!(summary["ingest_lag"]["reports"], 2);
    let couriers: Vec<(i64, i64)> = summary["deliveries_per_hour"]["couriers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["courier_id"].as_i64().unwrap(),
                c["deliveries"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        couriers.contains(&(courier_id, 1)) && couriers.contains(&(other, 1)),
        "{couriers:?}"
    );
    assert_eq!(
        summary["delivery_outcomes"]["couriers"][0]["courier_id"],
        courier_id
    );
    assert_eq!(
        summary["top_products_by_units"]["products"][0]["sku"],
        "pk0001"
    );
}
