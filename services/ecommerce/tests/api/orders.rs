//! Purchases and the order lifecycle (seed 004 stories 5-9, seed 002).

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_one_purchase, blamed_fields, problem, spawn_app};

/// A second seller with one product `sku` of `stock` units at 7.50; returns its token.
async fn seller_with_product(app: &TestApp, name: &str, sku: &str, stock: i64) -> String {
    let (_, token) = app.create_seller(name).await;
    app.create_product(&token, sku, 7.5, stock).await;
    token
}

async fn buy(app: &TestApp, token: &str, lines: Value) -> Value {
    let response = app.purchase(token, &json!({"lines": lines}), None).await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "purchase of {lines}"
    );
    response.json().await.unwrap()
}

fn order_of(purchase: &Value, seller_index: usize) -> String {
    purchase["orders"][seller_index]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_purchase_from_two_sellers_becomes_one_order_per_seller_and_takes_the_stock() {
    let app = spawn_app().await;
    seller_with_product(&app, "Second Shop", "SEC-1", 5).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let purchase = buy(&app, &buyer, json!([{"sku": "pk0004", "quantity": 2}, {"sku": "SEC-1", "quantity": 3}, {"sku": "pk0004", "quantity": 1}])).await;

    let orders = purchase["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 2, "one order per seller");
    let default_seller = orders
        .iter()
        .find(|o| o["lines"][0]["sku"] == "pk0004")
        .unwrap();
    assert_eq!(
        default_seller["lines"][0]["quantity"], 3,
        "repeated SKUs add up"
    );
    assert_eq!(default_seller["total"], 36.0);
    assert_eq!(default_seller["status"], "created");
    assert_eq!(
        default_seller["delivery"]["name"], "Bea Buyer",
        "delivery defaults to the buyer"
    );
    assert_eq!(
        default_seller["delivery"]["address"],
        "Carrera 7 # 32-16, Bogotá"
    );
    assert!(
        default_seller["origin"]["address"]
            .as_str()
            .unwrap()
            .contains("Bogotá"),
        "picked up at the warehouse"
    );
    assert_eq!(default_seller["history"][0]["status"], "created");
    for order in orders {
        assert_eq!(order["purchase_id"], purchase["purchase_id"]);
    }
    assert_eq!(app.stock("pk0004").await, 997);
    assert_eq!(app.stock("SEC-1").await, 2);
}

#[tokio::test]
async fn a_purchase_exceeding_stock_is_rejected_and_changes_nothing() {
    let app = spawn_app().await;
    seller_with_product(&app, "Scarce", "SCARCE-1", 2).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let response = app
        .purchase(&buyer, &json!({"lines": [{"sku": "pk0001", "quantity": 4}, {"sku": "SCARCE-1", "quantity": 3}]}), None)
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = problem(response).await;
    assert_eq!(
        body["shortages"],
        json!([{"sku": "SCARCE-1", "product_id": body["shortages"][0]["product_id"], "requested": 3, "available": 2}])
    );
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("SCARCE-1 (asked 3, available 2)")
    );

    assert_eq!(
        app.stock("pk0001").await,
        1000,
        "the line that fit was not bought either"
    );
    assert_eq!(app.stock("SCARCE-1").await, 2);
    let orders: Value = app.get("/orders", &buyer).await.json().await.unwrap();
    assert_eq!(orders["total"], 0);
}

#[tokio::test]
async fn every_short_product_is_named() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    app.create_product(&seller, "FEW-A", 1.0, 1).await;
    app.create_product(&seller, "FEW-B", 1.0, 0).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let response = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "FEW-A", "quantity": 2}, {"sku": "FEW-B", "quantity": 1}]}),
            None,
        )
        .await;
    let body = problem(response).await;
    let short: Vec<&str> = body["shortages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["sku"].as_str().unwrap())
        .collect();
    assert_eq!(short, ["FEW-A", "FEW-B"]);
}

#[tokio::test]
async fn a_product_of_a_seller_without_a_warehouse_cannot_be_bought() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let created = app
        .post("/sellers", &admin, &json!({"name": "Homeless", "description": "No warehouse yet",
            "administrators": [{"email": "h@homeless.test", "password": "amber-lantern-33", "name": "H"}]}))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let seller = app.token_of("h@homeless.test", "amber-lantern-33").await;
    app.create_product(&seller, "NOWH-1", 1.0, 10).await;
    let buyer = app.token(Role::MarketplaceUser).await;

    let response = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "NOWH-1", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = problem(response).await;
    assert_eq!(body["products_without_warehouse"][0]["sku"], "NOWH-1");
    assert!(body["detail"].as_str().unwrap().contains("NOWH-1"));
    assert_eq!(app.stock("NOWH-1").await, 10);
}

#[tokio::test]
async fn bad_purchases_name_the_line_at_fault() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let cases = [
        (json!({"lines": []}), "lines"),
        (
            json!({"lines": [{"sku": "pk0001", "quantity": 0}]}),
            "lines[0].quantity",
        ),
        (
            json!({"lines": [{"sku": "pk0001", "quantity": 1}, {"sku": "nope-404", "quantity": 1}]}),
            "lines[1].sku",
        ),
        (
            json!({"lines": [{"sku": "pk0001", "quantity": "two"}]}),
            "lines[0].quantity",
        ),
        (json!({"lines": [{"sku": "pk0001"}]}), "lines[0].quantity"),
        (
            json!({"lines": [{"sku": "pk0001", "quantity": 1}], "delivery": {"address": "x"}}),
            "delivery.address",
        ),
    ];
    for (body, field) in cases {
        let response = app.purchase(&buyer, &body, None).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert_eq!(blamed_fields(&problem(response).await), [field], "{body}");
    }
    for role in [Role::SellerUser, Role::MarketplaceAdmin, Role::Courier] {
        let token = app.token(role).await;
        let response = app
            .purchase(
                &token,
                &json!({"lines": [{"sku": "pk0001", "quantity": 1}]}),
                None,
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{role:?} may not buy"
        );
    }
}

#[tokio::test]
async fn a_retried_purchase_with_the_same_idempotency_key_buys_once() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let body = json!({"lines": [{"sku": "pk0002", "quantity": 5}]});
    let first = app.purchase(&buyer, &body, Some("checkout-42")).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    let again = app.purchase(&buyer, &body, Some("checkout-42")).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["purchase_id"], first["purchase_id"]);
    assert_eq!(app.stock("pk0002").await, 995, "bought once");

    let other = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0002", "quantity": 6}]}),
            Some("checkout-42"),
        )
        .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(other).await), ["Idempotency-Key"]);

    // Keys belong to their user: another buyer's same key is another purchase.
    let someone = app.register_buyer("someone").await;
    let theirs: Value = app
        .purchase(&someone, &body, Some("checkout-42"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(theirs["purchase_id"], first["purchase_id"]);
}

#[tokio::test]
async fn an_idempotency_key_is_forgotten_after_its_lifetime() {
    let app = crate::helpers::spawn_app_with(|s| s.orders.idempotency_ttl_seconds = 1).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let body = json!({"lines": [{"sku": "pk0002", "quantity": 1}]});
    let first: Value = app
        .purchase(&buyer, &body, Some("weekly-order"))
        .await
        .json()
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let later = app
        .purchase(
            &buyer,
            &json!({"lines": [{"sku": "pk0002", "quantity": 2}]}),
            Some("weekly-order"),
        )
        .await;
    assert_eq!(
        later.status(),
        StatusCode::CREATED,
        "an expired key is a new purchase, whatever its body"
    );
    assert!(later.headers().get("idempotent-replayed").is_none());
    let later: Value = later.json().await.unwrap();
    assert_ne!(later["purchase_id"], first["purchase_id"]);
    assert_eq!(app.stock("pk0002").await, 997);
}

#[tokio::test]
async fn concurrent_retries_with_one_key_buy_once() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let body = json!({"lines": [{"sku": "pk0003", "quantity": 1}]});
    let attempts = (0..8).map(|_| app.purchase(&buyer, &body, Some("double-click")));
    assert_one_purchase(futures_util::future::join_all(attempts).await).await;
    assert_eq!(app.stock("pk0003").await, 999);
}

#[tokio::test]
async fn the_seller_confirms_and_dispatches_and_everyone_sees_the_history() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let order = order_of(
        &buy(&app, &buyer, json!([{"sku": "pk0005", "quantity": 1}])).await,
        0,
    );

    assert_eq!(
        app.set_status(&seller, &order, "confirmed").await.status(),
        StatusCode::OK
    );
    let dispatched: Value = app
        .set_status(&seller, &order, "dispatched")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(dispatched["status"], "dispatched");
    for token in [&buyer, &seller, &admin] {
        let seen: Value = app
            .get(&format!("/orders/{order}"), token)
            .await
            .json()
            .await
            .unwrap();
        let statuses: Vec<&str> = seen["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["created", "confirmed", "dispatched"]);
        assert!(seen["history"][2]["at"].as_str().is_some());
    }
}

#[tokio::test]
async fn refused_transitions_name_the_current_status() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let order = order_of(
        &buy(&app, &buyer, json!([{"sku": "pk0006", "quantity": 1}])).await,
        0,
    );

    let skip = app.set_status(&seller, &order, "dispatched").await;
    assert_eq!(skip.status(), StatusCode::CONFLICT);
    assert!(
        problem(skip).await["detail"]
            .as_str()
            .unwrap()
            .contains("created")
    );

    app.set_status(&seller, &order, "confirmed").await;
    let late_cancel = app.set_status(&buyer, &order, "cancelled").await;
    assert_eq!(
        late_cancel.status(),
        StatusCode::CONFLICT,
        "a confirmed order can no longer be cancelled by the buyer"
    );
    assert!(
        problem(late_cancel).await["detail"]
            .as_str()
            .unwrap()
            .contains("confirmed")
    );

    for token in [&buyer, &seller, &admin] {
        let by_hand = app.set_status(token, &order, "delivered").await;
        assert_eq!(
            by_hand.status(),
            StatusCode::FORBIDDEN,
            "delivered is only set by the delivery side"
        );
    }
    assert_eq!(
        app.set_status(&buyer, &order, "confirmed").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.set_status(&seller, &order, "cancelled").await.status(),
        StatusCode::FORBIDDEN
    );
    let unknown = app.set_status(&seller, &order, "lost").await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

    app.set_status(&seller, &order, "dispatched").await;
    let too_late = app.set_status(&admin, &order, "cancelled").await;
    assert_eq!(
        too_late.status(),
        StatusCode::CONFLICT,
        "dispatched orders are not cancelled"
    );
    assert!(
        problem(too_late).await["detail"]
            .as_str()
            .unwrap()
            .contains("dispatched")
    );
}

#[tokio::test]
async fn cancelling_restores_the_stock_exactly_once() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let admin = app.token(Role::MarketplaceAdmin).await;

    let own = order_of(
        &buy(&app, &buyer, json!([{"sku": "pk0007", "quantity": 4}])).await,
        0,
    );
    assert_eq!(app.stock("pk0007").await, 996);
    let cancelled: Value = app
        .set_status(&buyer, &own, "cancelled")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(app.stock("pk0007").await, 1000);
    assert_eq!(
        app.set_status(&buyer, &own, "cancelled").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.set_status(&admin, &own, "cancelled").await.status(),
        StatusCode::CONFLICT
    );
    assert_eq!(
        app.stock("pk0007").await,
        1000,
        "a second cancel returns nothing"
    );

    let confirmed = order_of(
        &buy(&app, &buyer, json!([{"sku": "pk0007", "quantity": 2}])).await,
        0,
    );
    app.set_status(&seller, &confirmed, "confirmed").await;
    let racing = (0..6).map(|_| app.set_status(&admin, &confirmed, "cancelled"));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(racing)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "one cancel wins: {statuses:?}"
    );
    assert_eq!(app.stock("pk0007").await, 1000);
}

#[tokio::test]
async fn each_party_lists_only_its_own_orders() {
    let app = spawn_app().await;
    let other_seller = seller_with_product(&app, "Lister", "LIST-1", 10).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let seller = app.token(Role::SellerUser).await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    buy(
        &app,
        &buyer,
        json!([{"sku": "pk0008", "quantity": 1}, {"sku": "LIST-1", "quantity": 1}]),
    )
    .await;
    let second = buy(&app, &buyer, json!([{"sku": "pk0008", "quantity": 1}])).await;
    app.set_status(&seller, &order_of(&second, 0), "confirmed")
        .await;
    let stranger = app.register_buyer("stranger").await;

    let total = |page: Value| page["total"].as_i64().unwrap();
    assert_eq!(
        total(app.get("/orders", &buyer).await.json().await.unwrap()),
        3
    );
    assert_eq!(
        total(app.get("/orders", &seller).await.json().await.unwrap()),
        2
    );
    assert_eq!(
        total(
            app.get("/orders?status=confirmed", &seller)
                .await
                .json()
                .await
                .unwrap()
        ),
        1
    );
    assert_eq!(
        total(
            app.get("/orders", &other_seller)
                .await
                .json()
                .await
                .unwrap()
        ),
        1
    );
    assert_eq!(
        total(app.get("/orders", &admin).await.json().await.unwrap()),
        3
    );
    assert_eq!(
        total(app.get("/orders", &stranger).await.json().await.unwrap()),
        0
    );
    let page: Value = app
        .get("/orders?limit=1&offset=1", &buyer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    let order = order_of(&second, 0);
    assert_eq!(
        app.get(&format!("/orders/{order}"), &stranger)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/orders/{order}"), &other_seller)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.set_status(&other_seller, &order, "dispatched")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    for role in [Role::Courier, Role::OperationsViewer, Role::ServiceClient] {
        let token = app.token(role).await;
        assert_eq!(
            app.get("/orders", &token).await.status(),
            StatusCode::FORBIDDEN,
            "{role:?}"
        );
    }
    assert_eq!(
        app.get("/orders/no-such-order", &admin).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_seller_with_orders_cannot_be_deleted() {
    let app = spawn_app().await;
    let (seller_id, seller) = app.create_seller("Busy Shop").await;
    app.create_product(&seller, "BUSY-1", 2.0, 5).await;
    let buyer = app.token(Role::MarketplaceUser).await;
    buy(&app, &buyer, json!([{"sku": "BUSY-1", "quantity": 1}])).await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let response = app.delete(&format!("/sellers/{seller_id}"), &admin).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(
        problem(response).await["detail"]
            .as_str()
            .unwrap()
            .contains("1 order(s)")
    );
    assert_eq!(
        app.get(&format!("/sellers/{seller_id}"), &admin)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn fifty_buyers_racing_for_the_last_ten_units_buy_exactly_ten() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    app.create_product(&seller, "LAST-10", 3.0, 10).await;
    let mut buyers = Vec::new();
    for i in 0..50 {
        buyers.push(app.register_buyer(&format!("racer{i}")).await);
    }
    let body = json!({"lines": [{"sku": "LAST-10", "quantity": 1}]});
    let attempts = buyers.iter().map(|token| app.purchase(token, &body, None));
    let responses = futures_util::future::join_all(attempts).await;
    let won = responses
        .iter()
        .filter(|r| r.status() == StatusCode::CREATED)
        .count();
    let lost = responses
        .iter()
        .filter(|r| r.status() == StatusCode::CONFLICT)
        .count();
    assert_eq!(
        (won, lost),
        (10, 40),
        "every purchase either won or was refused for stock"
    );
    assert_eq!(app.stock("LAST-10").await, 0);

    let admin = app.token(Role::MarketplaceAdmin).await;
    let orders: Value = app
        .get("/orders?limit=200", &admin)
        .await
        .json()
        .await
        .unwrap();
    let sold: i64 = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["lines"].as_array().unwrap().iter())
        .filter(|l| l["sku"] == "LAST-10")
        .map(|l| l["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(sold, 10, "no order exists for the losers");
}

/// The database refuses a status the code does not know, on both backends: a row the code could
/// not read back is never stored (it would fail every list that meets it).
#[tokio::test]
async fn the_database_stores_only_the_statuses_the_code_knows() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let purchase = buy(&app, &buyer, json!([{"sku": "pk0001", "quantity": 1}])).await;
    let order_id = order_of(&purchase, 0);

    let set = |column: &'static str, value: &'static str| {
        let (db, order_id) = (app.database(), order_id.clone());
        async move {
            db.write(move |conn| {
                let update =
                    format!("UPDATE orders SET {column} = '{value}' WHERE id = '{order_id}'");
                diesel::sql_query(update)
                    .execute(conn)
                    .map_err(platform::db::DbError::from)
            })
            .await
        }
    };
    assert_eq!(set("status", "confirmed").await.unwrap(), 1);
    assert_eq!(set("delivery_status", "IN_ORIGIN").await.unwrap(), 1);
    assert!(
        set("status", "lost").await.is_err(),
        "an unknown order status is refused"
    );
    assert!(
        set("delivery_status", "in_origin").await.is_err(),
        "a delivery status spelled otherwise is refused"
    );
    let add_history = |status: &'static str| {
        let db = app.database();
        async move {
            db.write(move |conn| {
                let insert = format!(
                    "INSERT INTO order_status_history (order_id, status, changed_at) \
                     SELECT id, '{status}', updated_at FROM orders"
                );
                diesel::sql_query(insert)
                    .execute(conn)
                    .map_err(platform::db::DbError::from)
            })
            .await
        }
    };
    assert_eq!(add_history("confirmed").await.unwrap(), 1);
    assert!(
        add_history("shipped").await.is_err(),
        "an unknown status is refused in the history too"
    );

    let token = app.token(Role::MarketplaceUser).await;
    let orders: Value = app.get("/orders", &token).await.json().await.unwrap();
    assert_eq!(orders["items"][0]["status"], "confirmed", "{orders}");
}
