//! The authorization matrix: every role against every endpoint, and sellers against each other.

use platform::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const SEED_PRODUCT: &str = "00000000-0000-7000-8000-000000001001";
const DEFAULT_SELLER: &str = "00000000-0000-7000-8000-000000000001";

/// `(method, path, body)` of each guarded endpoint and the roles allowed through it. `target`
/// is a user the lifecycle endpoints change, deleted last.
fn endpoints(own_user: &str, target: &str) -> Vec<(Method, String, Value, Vec<Role>)> {
    use Role::*;
    let product =
        json!({"sku": "MATRIX-1", "name": "M", "description": "M", "price": 1, "quantity": 1});
    vec![
        (
            Method::GET,
            "/auth/me".into(),
            Value::Null,
            Role::ALL.to_vec(),
        ),
        (
            Method::GET,
            "/users".into(),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::POST,
            "/users".into(),
            json!({"email": "new@u.test", "password": "violet-harbor-71", "name": "N", "role": "operations_viewer"}),
            vec![MarketplaceAdmin],
        ),
        (
            Method::GET,
            format!("/users/{own_user}"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::GET,
            "/sellers".into(),
            Value::Null,
            vec![MarketplaceAdmin, Support],
        ),
        (
            Method::POST,
            "/sellers".into(),
            json!({"name": "S", "description": "D", "administrators": [{"email": "s@s.test", "password": "violet-harbor-71", "name": "S"}]}),
            vec![MarketplaceAdmin],
        ),
        (
            Method::GET,
            format!("/sellers/{DEFAULT_SELLER}"),
            Value::Null,
            vec![MarketplaceAdmin, SellerUser, Support],
        ),
        (
            Method::PATCH,
            format!("/sellers/{DEFAULT_SELLER}"),
            json!({"owner_name": "Someone", "tags": ["accessories"]}),
            vec![MarketplaceAdmin, SellerUser, Support],
        ),
        (
            Method::PATCH,
            format!("/sellers/{DEFAULT_SELLER}"),
            json!({"warehouse_address": "Calle 1 # 2-3, Bogotá"}),
            vec![MarketplaceAdmin, SellerUser],
        ),
        (
            Method::GET,
            format!("/sellers/{DEFAULT_SELLER}/users"),
            Value::Null,
            vec![MarketplaceAdmin, SellerUser, Support],
        ),
        (
            Method::GET,
            format!("/sellers/{DEFAULT_SELLER}/changes"),
            Value::Null,
            vec![MarketplaceAdmin, Support],
        ),
        (
            Method::POST,
            format!("/allies/{DEFAULT_SELLER}/credentials"),
            json!({"user": "matrix", "password": "matrix-secret"}),
            vec![MarketplaceAdmin, Support],
        ),
        (
            Method::GET,
            format!("/allies/{DEFAULT_SELLER}/credentials"),
            Value::Null,
            vec![MarketplaceAdmin, Support, ServiceClient],
        ),
        (
            Method::GET,
            format!("/allies/{DEFAULT_SELLER}/credentials/history"),
            Value::Null,
            vec![MarketplaceAdmin, Support],
        ),
        (
            Method::GET,
            "/support/reports/tags".into(),
            Value::Null,
            vec![MarketplaceAdmin, Support],
        ),
        (
            Method::GET,
            "/products".into(),
            Value::Null,
            Role::ALL.to_vec(),
        ),
        (
            Method::GET,
            format!("/products/{SEED_PRODUCT}"),
            Value::Null,
            Role::ALL.to_vec(),
        ),
        (Method::POST, "/products".into(), product, vec![SellerUser]),
        (
            Method::PATCH,
            format!("/products/{SEED_PRODUCT}"),
            json!({"quantity": 999}),
            vec![SellerUser],
        ),
        (
            Method::POST,
            "/portfolios".into(),
            json!({"name": "P", "description": "D"}),
            vec![SellerUser],
        ),
        (
            Method::GET,
            "/portfolios".into(),
            Value::Null,
            vec![MarketplaceAdmin, SellerUser],
        ),
        (
            Method::POST,
            "/orders".into(),
            json!({"lines": [{"sku": "pk0001", "quantity": 1}]}),
            vec![MarketplaceUser],
        ),
        (
            Method::GET,
            "/orders".into(),
            Value::Null,
            vec![MarketplaceAdmin, SellerUser, MarketplaceUser],
        ),
        (
            Method::POST,
            format!("/users/{target}/disable"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::POST,
            format!("/users/{target}/enable"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::PUT,
            format!("/users/{target}/role"),
            json!({"role": "support"}),
            vec![MarketplaceAdmin],
        ),
        (
            Method::POST,
            format!("/users/{target}/password-reset"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::GET,
            format!("/users/{target}/changes"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
        (
            Method::DELETE,
            format!("/users/{target}"),
            Value::Null,
            vec![MarketplaceAdmin],
        ),
    ]
}

async fn call(
    app: &TestApp,
    method: &Method,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> StatusCode {
    let request = app.request(method.clone(), path, token);
    let request = if body.is_null() {
        request
    } else {
        request.json(body)
    };
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn each_role_is_refused_what_it_must_not_do() {
    let app = spawn_app().await;
    let mut tokens = Vec::new();
    for role in Role::ALL {
        tokens.push((role, app.token(role).await));
    }
    // A user id that belongs to none of the callers but the admin may read.
    let buyer_token = &tokens
        .iter()
        .find(|(r, _)| *r == Role::MarketplaceUser)
        .unwrap()
        .1;
    let buyer: Value = app.get("/auth/me", buyer_token).await.json().await.unwrap();
    let others_user_id = buyer["id"].as_str().unwrap().to_owned();
    let admin = &tokens[0].1;
    let target = app
        .post(
            "/users",
            admin,
            &json!({"email": "target@u.test", "password": "violet-harbor-71", "name": "T", "role": "operations_viewer"}),
        )
        .await;
    let target: Value = target.json().await.unwrap();
    let target = target["id"].as_str().unwrap().to_owned();

    for (method, path, body, allowed) in endpoints(&others_user_id, &target) {
        assert_eq!(
            call(&app, &method, &path, &body, None).await,
            StatusCode::UNAUTHORIZED,
            "{method} {path} without a token"
        );
        for (role, token) in &tokens {
            // The buyer reading itself is allowed: check the rule for other users only.
            if *role == Role::MarketplaceUser && path == format!("/users/{others_user_id}") {
                continue;
            }
            let status = call(&app, &method, &path, &body, Some(token)).await;
            if allowed.contains(role) {
                assert!(
                    status.is_success(),
                    "{role:?} may {method} {path}, got {status}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} must not {method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_seller_user_can_never_read_or_change_another_sellers_data() {
    let app = spawn_app().await;
    let (rival_id, rival) = app.create_seller("Rival Shop").await;
    let rival_product = app.create_product(&rival, "RIVAL-1", 3.0, 3).await;
    let rival_product = rival_product["id"].as_str().unwrap();
    let seller = app.token(Role::SellerUser).await;

    assert_eq!(
        app.get(&format!("/sellers/{rival_id}"), &seller)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/sellers/{rival_id}/users"), &seller)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let rename = app
        .patch(
            &format!("/sellers/{rival_id}"),
            &seller,
            &json!({"name": "Taken over"}),
        )
        .await;
    assert_eq!(rename.status(), StatusCode::FORBIDDEN);
    let reprice = app
        .patch(
            &format!("/products/{rival_product}"),
            &seller,
            &json!({"price": 0}),
        )
        .await;
    assert_eq!(reprice.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&format!("/products/{rival_product}"), &seller)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("/sellers/{rival_id}"), &seller)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let admin = app.token(Role::MarketplaceAdmin).await;
    let untouched: Value = app
        .get(&format!("/products/{rival_product}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(untouched["price"], 3.0);
    let rival_seller: Value = app
        .get(&format!("/sellers/{rival_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(rival_seller["name"], "Rival Shop");
}

#[tokio::test]
async fn support_changes_a_stores_owner_and_tags_but_nothing_else_and_never_sees_a_password() {
    let app = spawn_app().await;
    let support = app.token(Role::Support).await;
    let (id, _) = app.create_seller("Helped Store").await;
    let path = format!("/sellers/{id}");
    let changed = app
        .patch(
            &path,
            &support,
            &json!({"owner_name": "Old-Wolf", "tags": ["education"]}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (&changed["owner_name"], &changed["tags"]),
        (&json!("Old-Wolf"), &json!(["education"]))
    );

    let renamed = app
        .patch(
            &path,
            &support,
            &json!({"name": "Taken over", "owner_name": "X"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::FORBIDDEN);
    let problem = crate::helpers::problem(renamed).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("not name"),
        "{problem}"
    );
    let unchanged: Value = app.get(&path, &support).await.json().await.unwrap();
    assert_eq!(
        (&unchanged["name"], &unchanged["owner_name"]),
        (&json!("Helped Store"), &json!("Old-Wolf"))
    );

    // The store's users, for whom to call: no password hash in them.
    let users = app.get(&format!("{path}/users"), &support).await;
    assert_eq!(users.status(), StatusCode::OK);
    let users = users.text().await.unwrap();
    assert!(users.contains("helped-store@sellers.test"));
    assert!(
        !users.contains("password") && !users.contains("argon2"),
        "{users}"
    );
    // Nor any user of the platform.
    assert_eq!(
        app.get("/users", &support).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn users_see_themselves_but_not_each_other() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let courier = app.token(Role::Courier).await;
    let me: Value = app.get("/auth/me", &buyer).await.json().await.unwrap();
    let path = format!("/users/{}", me["id"].as_str().unwrap());
    assert_eq!(app.get(&path, &buyer).await.status(), StatusCode::OK);
    assert_eq!(
        app.get(&path, &courier).await.status(),
        StatusCode::FORBIDDEN
    );
}
