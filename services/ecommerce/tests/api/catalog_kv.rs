//! The catalog reaches the NATS KV bucket that ingest and metrics read.

use platform::auth::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_seed_catalog_is_published_at_start_up() {
    let app = spawn_app().await;
    let entry = app
        .wait_for_catalog("pk0008", |e| e.is_some())
        .await
        .unwrap();
    assert_eq!(
        (entry.name.as_str(), entry.price_cents),
        ("Pila de botón", 250)
    );
}

#[tokio::test]
async fn product_changes_reach_the_kv_bucket() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    let product = app.create_product(&seller, "KV-1", 4.25, 10).await;
    let entry = app.wait_for_catalog("KV-1", |e| e.is_some()).await.unwrap();
    assert_eq!(entry.price_cents, 425);

    let path = format!("/products/{}", product["id"].as_str().unwrap());
    assert_eq!(
        app.patch(&path, &seller, &json!({"price": 5}))
            .await
            .status(),
        StatusCode::OK
    );
    app.wait_for_catalog("KV-1", |e| e.is_some_and(|e| e.price_cents == 500))
        .await;

    assert_eq!(
        app.patch(&path, &seller, &json!({"sku": "KV-2"}))
            .await
            .status(),
        StatusCode::OK
    );
    app.wait_for_catalog("KV-2", |e| e.is_some()).await;
    app.wait_for_catalog("KV-1", |e| e.is_none()).await;

    assert_eq!(
        app.delete(&path, &seller).await.status(),
        StatusCode::NO_CONTENT
    );
    app.wait_for_catalog("KV-2", |e| e.is_none()).await;
}

#[tokio::test]
async fn changes_made_while_nats_is_down_arrive_when_it_is_back() {
    let mut app = spawn_app().await;
    app.wait_for_catalog("pk0001", |e| e.is_some()).await;
    if app.nats.stop().is_err() {
        return; // a shared NATS (TEST_NATS_URL) cannot be stopped by one test
    }
    let seller = app.token(Role::SellerUser).await;
    let created = app.create_product(&seller, "OFFLINE-1", 9.99, 1).await;
    assert_eq!(
        created["sku"], "OFFLINE-1",
        "writes succeed while NATS is down"
    );
    app.nats.resume().await.unwrap();
    let entry = app
        .wait_for_catalog("OFFLINE-1", |e| e.is_some())
        .await
        .unwrap();
    assert_eq!(entry.price_cents, 999);
}

#[tokio::test]
async fn a_catalog_bucket_nats_lost_is_made_again_with_the_whole_catalog() {
    let app = spawn_app().await;
    let seller = app.token(Role::SellerUser).await;
    app.create_product(&seller, "KV-LOST", 7.5, 3).await;
    app.wait_for_catalog("KV-LOST", |e| e.is_some()).await;

    // NATS loses the bucket, and a reader makes it again, empty, before the owner looks.
    let nats = app.nats_client().await;
    let bucket = nats.namespace().bucket_name(&contracts::streams::CATALOG);
    nats.jetstream().delete_key_value(&bucket).await.unwrap();
    nats.ensure_bucket(&contracts::streams::CATALOG)
        .await
        .unwrap();

    // Within seconds, without a restart, the whole catalog is there again.
    let entry = app
        .wait_for_catalog("KV-LOST", |e| e.is_some())
        .await
        .unwrap();
    assert_eq!(entry.price_cents, 750);
    app.wait_for_catalog("pk0001", |e| e.is_some()).await;
    let recovered = app.recovered().await;
    assert!(
        recovered
            .iter()
            .any(|r| r.ends_with("KV bucket catalog was lost: its content published again")),
        "{recovered:?}"
    );
}
