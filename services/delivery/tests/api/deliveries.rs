use std::time::Duration;

use contracts::couriers::Courier;
use contracts::streams::{COURIERS, Namespace};
use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, delivery_request, problem, spawn_app, token};

#[tokio::test]
async fn creating_a_delivery_answers_seed_004s_contract_with_tracking_number_and_courier() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-1").await;

    assert_eq!(delivery["order"]["foreign_order_id"], "order-1");
    assert_eq!(
        delivery["order"]["products"][0],
        json!({"sku": "pk0001", "name": "Moneda", "qty": 2})
    );
    assert_eq!(delivery["origin"]["address"], "Calle 80 # 10-20, Bogotá");
    assert_eq!(delivery["destination"]["name"], "Bea Buyer");
    assert_eq!(delivery["status"], "READY_FOR_PICK_UP");
    let tracking = delivery["tracking_number"].as_str().unwrap();
    assert!(
        tracking.starts_with("CX") && tracking.len() == 18,
        "{tracking}"
    );
    assert_eq!(
        delivery["courier"],
        json!({"id": 101, "name": "María López"})
    );
    assert_eq!(delivery["tracking"][0]["status"], "READY_FOR_PICK_UP");
}

#[tokio::test]
async fn creating_twice_for_one_order_returns_the_existing_delivery() {
    let app = spawn_app().await;
    let first = app.create_delivery("order-7").await;
    let again = app
        .post(
            "/deliveries",
            &token(Role::ServiceClient),
            &delivery_request("order-7"),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["tracking_number"], first["tracking_number"]);

    let list: Value = app
        .get("/deliveries", &token(Role::MarketplaceAdmin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);
}

#[tokio::test]
async fn concurrent_creations_for_one_order_make_one_delivery() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    let body = delivery_request("order-race");
    let attempts = (0..8).map(|_| app.post("/deliveries", &service, &body));
    let responses = futures_util::future::join_all(attempts).await;
    let mut ids = Vec::new();
    for response in responses {
        assert!(response.status().is_success(), "{}", response.status());
        let body: Value = response.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every answer names the same delivery");
}

#[tokio::test]
async fn new_deliveries_go_to_the_least_loaded_courier() {
    let app = spawn_app().await;
    let mut couriers = Vec::new();
    for i in 0..12 {
        let delivery = app.create_delivery(&format!("order-{i}")).await;
        couriers.push(delivery["courier"]["id"].as_i64().unwrap());
    }
    assert_eq!(couriers[..10], (101..=110).collect::<Vec<_>>());
    assert_eq!(couriers[10..], [101, 102]);
}

#[tokio::test]
async fn bad_deliveries_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    let cases = [
        (
            json!({"order": {"foreign_order_id": "o", "products": []}, "origin": {"address": "Calle 80 # 10-20"}, "destination": {"name": "B", "address": "Carrera 7 # 32-16"}}),
            "order.products",
        ),
        (
            json!({"order": {"foreign_order_id": "o", "products": [{"sku": "pk1", "name": "x", "qty": 0}]}, "origin": {"address": "Calle 80 # 10-20"}, "destination": {"name": "B", "address": "Carrera 7 # 32-16"}}),
            "order.products[0].qty",
        ),
        (
            json!({"order": {"foreign_order_id": " ", "products": [{"sku": "pk1", "name": "x", "qty": 1}]}, "origin": {"address": "Calle 80 # 10-20"}, "destination": {"name": "B", "address": "Carrera 7 # 32-16"}}),
            "order.foreign_order_id",
        ),
        (
            json!({"order": {"foreign_order_id": "o", "products": [{"sku": "pk1", "name": "x", "qty": 1}]}, "origin": {"address": "Cr"}, "destination": {"name": "B", "address": "Carrera 7 # 32-16"}}),
            "origin.address",
        ),
        (
            json!({"order": {"foreign_order_id": "o", "products": [{"sku": "pk1", "name": "x", "qty": "two"}]}, "origin": {"address": "Calle 80 # 10-20"}, "destination": {"name": "B", "address": "Carrera 7 # 32-16"}}),
            "order.products[0].qty",
        ),
        (
            json!({"order": {"foreign_order_id": "o", "products": [{"sku": "pk1", "name": "x", "qty": 1}]}, "origin": {"address": "Calle 80 # 10-20"}}),
            "destination",
        ),
    ];
    for (body, field) in cases {
        let response = app.post("/deliveries", &service, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        assert_eq!(blamed_fields(&problem(response).await), [field]);
    }
}

#[tokio::test]
async fn deliveries_are_listed_newest_first_and_filtered() {
    let app = spawn_app().await;
    app.create_delivery("order-a").await;
    app.create_delivery("order-b").await;
    let admin = token(Role::MarketplaceAdmin);
    let all: Value = app
        .get("/deliveries?limit=1", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 2);
    assert_eq!(all["items"][0]["order"]["foreign_order_id"], "order-b");
    assert_eq!(
        all["items"][0]["order"]["products"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let by_courier: Value = app
        .get("/deliveries?courier_id=102", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_courier["total"], 1);
    let delivered: Value = app
        .get("/deliveries?status=DELIVERED", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(delivered["total"], 0);
    let wrong = app.get("/deliveries?status=LOST", &admin).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(wrong).await), ["status"]);
}

#[tokio::test]
async fn addresses_change_before_pick_up_and_the_courier_until_delivered() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    let delivery = app.create_delivery("order-e").await;
    let path = format!("/deliveries/{}", delivery["id"].as_str().unwrap());

    let edited = app
        .patch(
            &path,
            &service,
            &json!({"destination": {"address": "Calle 100 # 15-20, Bogotá"}, "courier_id": 105}),
        )
        .await;
    assert_eq!(edited.status(), StatusCode::OK);
    let edited: Value = edited.json().await.unwrap();
    assert_eq!(
        edited["destination"]["address"],
        "Calle 100 # 15-20, Bogotá"
    );
    assert_eq!(edited["destination"]["name"], "Bea Buyer");
    assert_eq!(edited["courier"]["name"], "Laura Sánchez");

    let unknown = app
        .patch(&path, &service, &json!({"courier_id": 999}))
        .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(unknown).await), ["courier_id"]);

    app.worker(1)
        .advance(app.clock().current() + 1)
        .await
        .unwrap();
    let late = app
        .patch(
            &path,
            &service,
            &json!({"origin": {"address": "Somewhere else 12"}}),
        )
        .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);
    assert!(
        problem(late).await["detail"]
            .as_str()
            .unwrap()
            .contains("IN_ORIGIN")
    );
    let reassigned = app
        .patch(&path, &service, &json!({"courier_id": 110}))
        .await;
    assert_eq!(reassigned.status(), StatusCode::OK);
}

#[tokio::test]
async fn only_a_delivery_not_yet_picked_up_can_be_deleted() {
    let app = spawn_app().await;
    let service = token(Role::ServiceClient);
    let mistaken = app.create_delivery("order-x").await;
    let kept = app.create_delivery("order-y").await;
    let path = format!("/deliveries/{}", mistaken["id"].as_str().unwrap());
    assert_eq!(
        app.delete(&path, &service).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&path, &service).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&path, &service).await.status(),
        StatusCode::NOT_FOUND
    );

    app.worker(1)
        .advance(app.clock().current() + 1)
        .await
        .unwrap();
    let moved = app
        .delete(
            &format!("/deliveries/{}", kept["id"].as_str().unwrap()),
            &service,
        )
        .await;
    assert_eq!(moved.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn the_fleet_is_seed_000s_couriers_and_is_published_to_the_couriers_bucket() {
    let app = spawn_app().await;
    let couriers: Value = app
        .get("/couriers", &token(Role::Courier))
        .await
        .json()
        .await
        .unwrap();
    let couriers = couriers.as_array().unwrap();
    assert_eq!(couriers.len(), 10);
    assert_eq!(
        couriers[0],
        json!({"id": 101, "name": "María López", "active": true})
    );
    assert_eq!(couriers[9]["name"], "Daniel Castillo");
    assert_eq!(
        app.get("/couriers/111", &token(Role::Courier))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let nats = app.nats_client().await;
    let bucket = nats.ensure_bucket(&COURIERS).await.unwrap();
    let entry = test_support::eventually_some(
        Duration::from_secs(10),
        "courier 107 in the bucket",
        || async { bucket.get("107").await.unwrap() },
    )
    .await;
    let courier: Courier = serde_json::from_slice(&entry).unwrap();
    assert_eq!(courier.name, "Elena Rodríguez");
    assert_eq!(
        Namespace::new(app.nats.namespace().to_owned())
            .unwrap()
            .bucket_name(&COURIERS),
        bucket.name
    );
}

/// The database refuses a status the code does not know, on both backends: a row the code could
/// not read back is never stored (it would fail every list that meets it).
#[tokio::test]
async fn the_database_stores_only_the_statuses_the_code_knows() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-known-statuses").await;
    let id = delivery["id"].as_str().unwrap().to_owned();

    let run = |statement: String| {
        let db = app.database();
        async move {
            db.write(move |conn| {
                diesel::sql_query(statement)
                    .execute(conn)
                    .map_err(platform::db::DbError::from)
            })
            .await
        }
    };
    let set = |status: &str| format!("UPDATE deliveries SET status = '{status}' WHERE id = '{id}'");
    assert_eq!(run(set("IN_ORIGIN")).await.unwrap(), 1);
    assert!(
        run(set("LOST")).await.is_err(),
        "an unknown status is refused"
    );
    assert!(
        run(set("in_origin")).await.is_err(),
        "a status spelled otherwise is refused"
    );
    let history = |status: &str| {
        format!(
            "INSERT INTO delivery_history (delivery_id, status, changed_by, changed_at) \
             SELECT id, '{status}', 'test', updated_at FROM deliveries WHERE id = '{id}'"
        )
    };
    assert_eq!(run(history("IN_ORIGIN")).await.unwrap(), 1);
    assert!(
        run(history("SHIPPED")).await.is_err(),
        "the history refuses it too"
    );

    let token = token(Role::ServiceClient);
    let listed: Value = app.get("/deliveries", &token).await.json().await.unwrap();
    assert_eq!(listed["items"][0]["status"], "IN_ORIGIN", "{listed}");
}
