use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app};

#[tokio::test]
async fn the_seed_catalog_exists_from_the_first_start() {
    let app = spawn_app().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let page: Value = app
        .get("/products?limit=200", &buyer)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["total"], 10);
    let items = page["items"].as_array().unwrap();
    let price = |sku: &str| {
        items
            .iter()
            .find(|p| p["sku"] == sku)
            .map(|p| p["price"].as_f64().unwrap())
    };
    assert_eq!(price("pk0001"), Some(1.0));
    assert_eq!(price("pk0004"), Some(12.0));
    assert_eq!(price("pk0008"), Some(2.5));
    assert_eq!(price("pk0010"), Some(0.2));
    let names: Vec<&str> = items.iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Pequeño espejo de bolsillo"));
}

#[tokio::test]
async fn a_seller_user_creates_views_edits_lists_and_deletes_its_products() {
    let app = spawn_app().await;
    let (seller_id, seller) = app.create_seller("Gadgets").await;
    let created = app.create_product(&seller, "GAD-1", 19.99, 5).await;
    assert_eq!(created["seller_id"], seller_id.as_str());
    assert_eq!(
        (created["price"].as_f64(), created["quantity"].as_i64()),
        (Some(19.99), Some(5))
    );
    let id = created["id"].as_str().unwrap();

    let fetched: Value = app
        .get(&format!("/products/{id}"), &seller)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fetched["sku"], "GAD-1");

    let updated: Value = app
        .patch(
            &format!("/products/{id}"),
            &seller,
            &json!({"price": 17.5, "quantity": 0}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (updated["price"].as_f64(), updated["quantity"].as_i64()),
        (Some(17.5), Some(0))
    );
    assert_eq!(updated["name"], "Product GAD-1");

    let own: Value = app
        .get(&format!("/products?seller_id={seller_id}"), &seller)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["total"], 1);

    assert_eq!(
        app.delete(&format!("/products/{id}"), &seller)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get(&format!("/products/{id}"), &seller).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_duplicate_sku_is_a_conflict_naming_the_sku() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    let response = app
        .post("/products", &seller, &json!({"sku": "pk0001", "name": "Copy", "description": "Copy", "price": 1, "quantity": 1}))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body = problem(response).await;
    assert_eq!(blamed_fields(&body), ["sku"]);
    assert!(body["detail"].as_str().unwrap().contains("pk0001"));

    let other = app.create_product(&seller, "UNIQUE-1", 1.0, 1).await;
    let rename = app
        .patch(
            &format!("/products/{}", other["id"].as_str().unwrap()),
            &seller,
            &json!({"sku": "pk0002"}),
        )
        .await;
    assert_eq!(rename.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn anyone_signed_in_browses_products_but_only_sellers_create_them() {
    let app = spawn_app().await;
    for role in [
        Role::MarketplaceUser,
        Role::Courier,
        Role::OperationsViewer,
        Role::MarketplaceAdmin,
    ] {
        let token = app.token(role).await;
        assert_eq!(
            app.get("/products", &token).await.status(),
            StatusCode::OK,
            "{role:?} browses"
        );
        let create = app
            .post(
                "/products",
                &token,
                &json!({"sku": "X-1", "name": "X", "description": "X", "price": 1, "quantity": 1}),
            )
            .await;
        assert_eq!(
            create.status(),
            StatusCode::FORBIDDEN,
            "{role:?} may not create products"
        );
    }
}
