use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{blamed_fields, problem, spawn_app};

#[tokio::test]
async fn a_seller_groups_its_products_into_portfolios() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Collections").await;
    let a = app.create_product(&seller, "COL-A", 1.0, 1).await;
    let b = app.create_product(&seller, "COL-B", 2.0, 1).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());

    let response = app
        .post(
            "/portfolios",
            &seller,
            &json!({"name": "Summer", "description": "For the beach", "product_ids": [b, a]}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let portfolio: Value = response.json().await.unwrap();
    let skus: Vec<&str> = portfolio["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["COL-B", "COL-A"], "the seller's order is kept");
    let id = portfolio["id"].as_str().unwrap();

    let edited: Value = app
        .patch(
            &format!("/portfolios/{id}"),
            &seller,
            &json!({"name": "Summer 2027", "product_ids": [a]}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(edited["name"], "Summer 2027");
    assert_eq!(edited["products"].as_array().unwrap().len(), 1);

    let listed: Value = app.get("/portfolios", &seller).await.json().await.unwrap();
    assert_eq!(listed["total"], 1);
    let viewed = app.get(&format!("/portfolios/{id}"), &seller).await;
    assert_eq!(viewed.status(), StatusCode::OK);

    let duplicate = app
        .post(
            "/portfolios",
            &seller,
            &json!({"name": "Summer 2027", "description": "again"}),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    assert_eq!(blamed_fields(&problem(duplicate).await), ["name"]);

    assert_eq!(
        app.delete(&format!("/portfolios/{id}"), &seller)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_portfolio_may_only_hold_the_sellers_own_products() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Honest").await;
    let mine = app.create_product(&seller, "MINE-1", 1.0, 1).await;
    let seed_product = "00000000-0000-7000-8000-000000001001";
    let response = app
        .post("/portfolios", &seller, &json!({"name": "Mixed", "description": "d", "product_ids": [mine["id"], seed_product]}))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(blamed_fields(&problem(response).await), ["product_ids[1]"]);

    let twice = app
        .post(
            "/portfolios",
            &seller,
            &json!({"name": "Twice", "description": "d", "product_ids": [mine["id"], mine["id"]]}),
        )
        .await;
    assert_eq!(blamed_fields(&problem(twice).await), ["product_ids[1]"]);
}

#[tokio::test]
async fn the_admin_sees_every_portfolio_and_other_sellers_see_none() {
    let app = spawn_app().await;
    let (seller_id, seller) = app.create_seller("Private").await;
    let (_, rival) = app.create_seller("Rival").await;
    let portfolio: Value = app
        .post(
            "/portfolios",
            &seller,
            &json!({"name": "Secret", "description": "d"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/portfolios/{}", portfolio["id"].as_str().unwrap());

    let admin = app.token(Role::MarketplaceAdmin).await;
    assert_eq!(app.get(&path, &admin).await.status(), StatusCode::OK);
    let all: Value = app
        .get(&format!("/portfolios?seller_id={seller_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["total"], 1);

    assert_eq!(app.get(&path, &rival).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.patch(&path, &rival, &json!({"name": "Mine now"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, &rival).await.status(),
        StatusCode::FORBIDDEN
    );
    let rivals: Value = app.get("/portfolios", &rival).await.json().await.unwrap();
    assert_eq!(rivals["total"], 0);
}
