//! Bad input gets a problem naming the field and the rule, with 400, 415, 422 or 404; never a 500.

use platform::auth::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{blamed_fields, problem, spawn_app};

#[tokio::test]
async fn product_input_is_checked_field_by_field() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    let valid =
        json!({"sku": "V-1", "name": "Valid", "description": "Valid", "price": 1.5, "quantity": 3});
    let with = |field: &str, value: serde_json::Value| {
        let mut body = valid.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = valid.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let cases = [
        (with("price", json!(-1)), "price", "must not be negative"),
        (with("price", json!(1.234)), "price", "two decimals"),
        (
            with("quantity", json!(-5)),
            "quantity",
            "must not be negative",
        ),
        (with("quantity", json!(2.5)), "quantity", "invalid type"),
        (with("price", json!("cheap")), "price", "invalid type"),
        (with("name", json!("x".repeat(121))), "name", "at most 120"),
        (
            with("description", json!("")),
            "description",
            "must not be empty",
        ),
        (with("sku", json!("has space")), "sku", "may only hold"),
        (with("colour", json!("red")), "colour", "unknown field"),
        (without("sku"), "sku", "missing field"),
        (without("quantity"), "quantity", "missing field"),
    ];
    for (body, field, rule) in cases {
        let response = app.post("/products", &seller, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let problem = problem(response).await;
        assert_eq!(blamed_fields(&problem), [field], "{body}");
        let reason = problem["invalid-params"][0]["reason"].as_str().unwrap();
        assert!(
            reason.contains(rule),
            "{field}: {reason:?} should say {rule:?}"
        );
    }
    let products: serde_json::Value = app.get("/products", &seller).await.json().await.unwrap();
    assert_eq!(products["total"], 10, "no invalid product was stored");
}

#[tokio::test]
async fn malformed_json_is_a_400_and_a_missing_content_type_a_415() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    let malformed = app
        .request(Method::POST, "/products", Some(&seller))
        .header("content-type", "application/json")
        .body(r#"{"sku": "A", "name": "#)
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(malformed).await["title"], "Malformed request");

    let not_json = app
        .request(Method::POST, "/products", Some(&seller))
        .body("sku=A")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let array = app.post("/products", &seller, &json!([1, 2])).await;
    assert_eq!(array.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn unknown_ids_are_404_problems() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let seller = app.token(Role::SellerUser).await;
    for path in [
        "/products/does-not-exist",
        "/sellers/0193f0e0-0000-7000-8000-000000000000",
        "/users/nobody",
        "/portfolios/none",
    ] {
        let token = if path.starts_with("/products") {
            &seller
        } else {
            &admin
        };
        let response = app.get(path, token).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        problem(response).await;
    }
    let patch = app
        .patch("/products/does-not-exist", &seller, &json!({"price": 1}))
        .await;
    assert_eq!(patch.status(), StatusCode::NOT_FOUND);
    let delete = app.delete("/sellers/nope", &admin).await;
    assert_eq!(delete.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_pagination_and_filters_are_named() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=500", "limit"),
        ("offset=-1", "offset"),
        ("limit=ten", "limit"),
        ("offset=1.5", "offset"),
        ("role=emperor", "role"),
    ] {
        let response = app.get(&format!("/users?{query}"), &admin).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(blamed_fields(&problem(response).await), [field], "{query}");
    }
    let response = app.get("/users?role=emperor", &admin).await;
    let problem = problem(response).await;
    let reason = problem["invalid-params"][0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("must be one of"), "{reason}");
    assert!(reason.contains("marketplace_admin"), "{reason}");
    assert!(!problem.to_string().contains("deserialize"), "{problem}");
}

#[tokio::test]
async fn the_document_and_the_answers_agree_on_methods_types_and_media() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    // Another method on a documented path: 405 naming the methods it answers.
    let put = app
        .request(Method::PUT, "/users", Some(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(put.headers()["allow"], "GET, POST");
    let patch = app
        .request(Method::PATCH, "/users/u1", Some(&admin))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(patch.headers()["allow"], "DELETE, GET");
    // A well-formed body with the wrong kind of value in an enum field names the field.
    for role in [json!(5), json!({}), json!(["courier"])] {
        let body = json!({"email": "x@example.com", "password": "plum-canoe-harbor",
            "name": "X", "role": role});
        let response = app.post("/users", &admin, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role}"
        );
        assert_eq!(blamed_fields(&problem(response).await), ["role"], "{role}");
    }
    // The document declares problems as application/problem+json, as they are sent.
    let document: serde_json::Value = app
        .request(Method::GET, "/openapi.json", None)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = document.to_string();
    assert!(text.contains("application/problem+json"));
    let forbidden = &document["paths"]["/users"]["post"]["responses"]["403"]["content"];
    assert!(
        forbidden.get("application/problem+json").is_some(),
        "{forbidden}"
    );
    assert!(forbidden.get("application/json").is_none(), "{forbidden}");
    let forbidden_answer = app
        .post(
            "/users",
            &app.token(Role::MarketplaceUser).await,
            &json!({
        "email": "y@example.com", "password": "plum-canoe-harbor", "name": "Y",
        "role": "courier", "courier_id": 101}),
        )
        .await;
    assert_eq!(forbidden_answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        forbidden_answer.headers()["content-type"],
        "application/problem+json"
    );
}

#[tokio::test]
async fn user_creation_enforces_what_each_role_needs() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let base = |role: &str| json!({"email": format!("{role}@new.test"), "password": "violet-harbor-71", "name": "New", "role": role});
    let cases = [
        (base("seller_user"), "seller_id"),
        (base("courier"), "courier_id"),
        (base("marketplace_user"), "shipping_address"),
        (
            {
                let mut b = base("operations_viewer");
                b["courier_id"] = json!(101);
                b
            },
            "courier_id",
        ),
        (
            {
                let mut b = base("seller_user");
                b["seller_id"] = json!("no-such-seller");
                b
            },
            "seller_id",
        ),
        (
            {
                let mut b = base("courier");
                b["courier_id"] = json!(-3);
                b
            },
            "courier_id",
        ),
        (base("emperor"), "role"),
    ];
    for (body, field) in cases {
        let response = app.post("/users", &admin, &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        assert_eq!(blamed_fields(&problem(response).await), [field], "{body}");
    }
    let mut courier = base("courier");
    courier["courier_id"] = json!(107);
    let created = app.post("/users", &admin, &courier).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let token = app.token_of("courier@new.test", "violet-harbor-71").await;
    let me: serde_json::Value = app.get("/auth/me", &token).await.json().await.unwrap();
    assert_eq!(me["courier_id"], 107);
}
