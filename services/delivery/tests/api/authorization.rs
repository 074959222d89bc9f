//! Each role is refused what it must not do.

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{delivery_request, spawn_app, token, token_for};

#[tokio::test]
async fn only_service_clients_and_the_admin_manage_deliveries() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-auth").await;
    let path = format!("/deliveries/{}", delivery["id"].as_str().unwrap());
    for role in [
        Role::MarketplaceUser,
        Role::SellerUser,
        Role::Courier,
        Role::OperationsViewer,
    ] {
        let t = token(role);
        assert_eq!(
            app.post("/deliveries", &t, &delivery_request("o-2"))
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{role:?} creates"
        );
        assert_eq!(
            app.patch(&path, &t, &json!({"courier_id": 102}))
                .await
                .status(),
            StatusCode::FORBIDDEN,
            "{role:?} edits"
        );
        assert_eq!(
            app.delete(&path, &t).await.status(),
            StatusCode::FORBIDDEN,
            "{role:?} deletes"
        );
        assert_eq!(
            app.post(
                "/webhooks/subscriptions",
                &t,
                &json!({"url": "http://127.0.0.1:9/x"})
            )
            .await
            .status(),
            StatusCode::FORBIDDEN,
            "{role:?} subscribes"
        );
    }
    for role in [Role::MarketplaceUser, Role::SellerUser, Role::Courier] {
        let t = token(role);
        assert_eq!(
            app.get("/deliveries", &t).await.status(),
            StatusCode::FORBIDDEN,
            "{role:?} lists"
        );
        assert_eq!(
            app.get(&path, &t).await.status(),
            StatusCode::FORBIDDEN,
            "{role:?} views"
        );
    }
    let ops = token(Role::OperationsViewer);
    assert_eq!(app.get("/deliveries", &ops).await.status(), StatusCode::OK);
    assert_eq!(app.get(&path, &ops).await.status(), StatusCode::OK);
    assert_eq!(
        app.patch(
            &path,
            &token(Role::MarketplaceAdmin),
            &json!({"courier_id": 102})
        )
        .await
        .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthorized() {
    let app = spawn_app().await;
    let anonymous = app
        .request(reqwest::Method::GET, "/deliveries", None)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let forged = app
        .get("/deliveries", "eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl")
        .await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_service_client_sees_only_its_own_subscriptions() {
    let app = spawn_app().await;
    let mine = app.subscribe("http://127.0.0.1:9/mine").await;
    let path = format!("/webhooks/subscriptions/{}", mine["id"].as_str().unwrap());
    let other = token_for(Role::ServiceClient, "another-system");
    assert_eq!(app.get(&path, &other).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.delete(&path, &other).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(&format!("{path}/rotate-secret"), &other, &json!({}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let listed: serde_json::Value = app
        .get("/webhooks/subscriptions", &other)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0);
    let admin: serde_json::Value = app
        .get("/webhooks/subscriptions", &token(Role::MarketplaceAdmin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(admin["total"], 1);
    assert!(
        admin["items"][0].get("secret").is_none(),
        "the secret is shown only once"
    );
}

#[tokio::test]
async fn a_service_client_sees_and_changes_only_its_own_deliveries() {
    let app = spawn_app().await;
    let delivery = app.create_delivery("order-own").await;
    let path = format!("/deliveries/{}", delivery["id"].as_str().unwrap());
    let other = token_for(Role::ServiceClient, "another-system");

    assert_eq!(app.get(&path, &other).await.status(), StatusCode::FORBIDDEN);
    let redirect = json!({"destination": {"address": "Calle Falsa 123, Bogotá"}});
    assert_eq!(
        app.patch(&path, &other, &redirect).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&path, &other).await.status(),
        StatusCode::FORBIDDEN
    );
    let listed: serde_json::Value = app.get("/deliveries", &other).await.json().await.unwrap();
    assert_eq!(listed["total"], 0);

    let owner = token(Role::ServiceClient);
    assert_eq!(app.get(&path, &owner).await.status(), StatusCode::OK);
    let mine: serde_json::Value = app.get("/deliveries", &owner).await.json().await.unwrap();
    assert_eq!(mine["total"], 1);
    let admin = token(Role::MarketplaceAdmin);
    assert_eq!(app.get(&path, &admin).await.status(), StatusCode::OK);
}
