use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app};

#[tokio::test]
async fn the_admin_creates_a_seller_with_its_administrators_in_one_request() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let response = app
        .post(
            "/sellers",
            &admin,
            &json!({
                "name": "Tienda Old-Wolf",
                "description": "Educational supplies",
                "owner_name": "Old-Wolf",
                "tags": ["Education", "books", "education"],
                "administrators": [
                    {"email": "ana@oldwolf.test", "password": "ana-password-1", "name": "Ana"},
                    {"email": "luis@oldwolf.test", "password": "luis-password-1", "name": "Luis"}
                ]
            }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let seller: Value = response.json().await.unwrap();
    assert_eq!(seller["tags"], json!(["books", "education"]));
    assert_eq!(seller["administrators"].as_array().unwrap().len(), 2);
    assert_eq!(seller["administrators"][0]["role"], "seller_user");
    assert!(seller["warehouse_address"].is_null());

    let luis = app.token_of("luis@oldwolf.test", "luis-password-1").await;
    let own: Value = app
        .get(
            &format!("/sellers/{}", seller["id"].as_str().unwrap()),
            &luis,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["name"], "Tienda Old-Wolf");
}

#[tokio::test]
async fn a_seller_without_administrators_is_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let response = app
        .post(
            "/sellers",
            &admin,
            &json!({"name": "Empty", "description": "No users", "administrators": []}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(response).await), ["administrators"]);

    // A duplicate administrator email rolls back the seller too.
    let response = app
        .post(
            "/sellers",
            &admin,
            &json!({"name": "Dup", "description": "Reuses an email",
                    "administrators": [{"email": "seller@cargoexpress.test", "password": "mango-tractor-58", "name": "X"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let sellers: Value = app.get("/sellers", &admin).await.json().await.unwrap();
    assert_eq!(sellers["total"], 1, "only the default seller exists");
}

#[tokio::test]
async fn nested_administrator_errors_name_their_position() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let response = app
        .post(
            "/sellers",
            &admin,
            &json!({"name": "S", "description": "D", "administrators": [
                {"email": "ok@s.test", "password": "saffron-kettle-19", "name": "A"},
                {"email": "bad", "password": "saffron-kettle-19", "name": "B"}]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        blamed_fields(&problem(response).await),
        ["administrators[1].email"]
    );
}

#[tokio::test]
async fn a_seller_user_sets_its_warehouse_address_and_tags() {
    let app = spawn_app().await;
    let (id, seller) = app.create_seller("Warehouse Co").await;
    let response = app
        .patch(
            &format!("/sellers/{id}"),
            &seller,
            &json!({"warehouse_address": "Autopista Norte km 20, Chía", "tags": ["tools"]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!(updated["warehouse_address"], "Autopista Norte km 20, Chía");
    assert_eq!(updated["tags"], json!(["tools"]));
    assert_eq!(updated["name"], "Warehouse Co", "omitted fields are kept");
}

#[tokio::test]
async fn the_admin_lists_edits_and_deletes_sellers() {
    let app = spawn_app().await;
    let admin = app.token(Role::MarketplaceAdmin).await;
    let (id, _) = app.create_seller("Short Lived").await;
    let page: Value = app
        .get("/sellers?limit=1&offset=1", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );

    let renamed = app
        .patch(
            &format!("/sellers/{id}"),
            &admin,
            &json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);

    assert_eq!(
        app.delete(&format!("/sellers/{id}"), &admin).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/sellers/{id}"), &admin).await.status(),
        StatusCode::NOT_FOUND
    );
    let login = app
        .login("short-lived@sellers.test", "seller-pass-123")
        .await;
    assert_eq!(
        login.status(),
        StatusCode::UNAUTHORIZED,
        "the seller's users go with it"
    );
    assert_eq!(
        app.delete(&format!("/sellers/{id}"), &admin).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_seller_user_lists_its_colleagues() {
    let app = spawn_app().await;
    let (id, seller) = app.create_seller("Team").await;
    let users: Value = app
        .get(&format!("/sellers/{id}/users"), &seller)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(users.as_array().unwrap().len(), 1);
    assert_eq!(users[0]["email"], "team@sellers.test");
}
