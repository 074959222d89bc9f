//! The KV cache against a real nats-server: it starts with what the bucket holds, follows puts
//! and deletes, and catches up after the server restarts; an ordered copy never goes back.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use contracts::catalog::CatalogProduct;
use contracts::streams::{CATALOG, USER_ACCESS};
use contracts::user_access::{AccessChange, UserAccess};
use platform::kv_cache::KvCache;
use platform::nats::Nats;
use platform::settings::NatsSettings;
use test_support::TestNats;
use tokio_util::sync::CancellationToken;

fn product(sku: &str, price_cents: i64) -> Vec<u8> {
    serde_json::to_vec(&CatalogProduct {
        sku: sku.to_owned(),
        name: format!("product {sku}"),
        price_cents,
        seller_id: "seller".to_owned(),
    })
    .unwrap()
}

async fn eventually(what: &str, check: impl Fn() -> bool) {
    test_support::eventually(
        Duration::from_secs(15),
        what,
        || std::future::ready(check()),
    )
    .await;
}

#[tokio::test]
async fn the_cache_holds_the_bucket_and_follows_every_change_even_across_a_restart() {
    platform::telemetry::init_for_test();
    let mut server = TestNats::start_private().await.unwrap();
    let settings = NatsSettings {
        url: server.url().to_owned(),
        namespace: server.namespace().to_owned(),
        ..Default::default()
    };
    let nats = Nats::connect(&settings, "kv-cache-test").await.unwrap();
    let bucket = nats.ensure_bucket(&CATALOG).await.unwrap();
    bucket
        .put("pk0001", product("pk0001", 100).into())
        .await
        .unwrap();
    bucket
        .put("pk0002", product("pk0002", 800).into())
        .await
        .unwrap();
    bucket
        .put("pk0001", product("pk0001", 150).into())
        .await
        .unwrap();

    let cache: KvCache<CatalogProduct> = KvCache::default();
    let cancel = CancellationToken::new();
    let following = tokio::spawn(cache.clone().follow(nats.clone(), CATALOG, cancel.clone()));
    eventually("the existing entries", || cache.is_loaded()).await;
    assert_eq!(cache.len(), 2, "loaded means caught up with the bucket");
    assert!(nats.readiness().is_ready());
    assert_eq!(
        cache.get("pk0001").unwrap().price_cents,
        150,
        "the latest value of a key"
    );

    bucket
        .put("pk0003", product("pk0003", 500).into())
        .await
        .unwrap();
    bucket.delete("pk0002").await.unwrap();
    eventually("the put and the delete", || {
        cache.get("pk0003").is_some() && cache.get("pk0002").is_none()
    })
    .await;

    server.stop().unwrap();
    server.resume().await.unwrap();
    let bucket = nats.ensure_bucket(&CATALOG).await.unwrap();
    bucket
        .put("pk0004", product("pk0004", 1_200).into())
        .await
        .unwrap();
    eventually("a change made after the restart", || {
        cache.get("pk0004").is_some()
    })
    .await;
    assert_eq!(cache.len(), 3);

    cancel.cancel();
    following.await.unwrap().unwrap();
}

#[tokio::test]
async fn an_empty_bucket_is_loaded_and_the_service_waits_for_it_until_then() {
    platform::telemetry::init_for_test();
    let server = TestNats::start_private().await.unwrap();
    let nats = Nats::connect(&server.settings(), "kv-cache-test")
        .await
        .unwrap();
    let cache: KvCache<CatalogProduct> = KvCache::default();
    let cancel = CancellationToken::new();

    let follow = cache.clone().follow(nats.clone(), CATALOG, cancel.clone());
    assert_eq!(nats.readiness().waiting_for(), ["KV bucket catalog"]);
    let following = tokio::spawn(follow);

    eventually("the empty bucket to count as loaded", || cache.is_loaded()).await;
    assert!(cache.is_empty());
    assert!(nats.readiness().is_ready());
    cancel.cancel();
    following.await.unwrap().unwrap();
}

/// A user's entry in the user_access bucket.
fn access(generation: i64) -> bytes::Bytes {
    serde_json::to_vec(&UserAccess {
        generation,
        change: AccessChange::Disabled,
    })
    .unwrap()
    .into()
}

#[tokio::test]
async fn an_ordered_copy_never_goes_back_to_an_older_generation_put_after_a_newer_one() {
    platform::telemetry::init_for_test();
    let server = TestNats::start_private().await.unwrap();
    let nats = Nats::connect(&server.settings(), "kv-cache-test")
        .await
        .unwrap();
    let bucket = nats.ensure_bucket(&USER_ACCESS).await.unwrap();
    let generation = |access: &UserAccess| access.generation;
    // Relayed out of order: generation 3 before 2.
    bucket.put("u1", access(3)).await.unwrap();
    bucket.put("u1", access(2)).await.unwrap();

    let cancel = CancellationToken::new();
    let loaded: KvCache<UserAccess> = KvCache::ordered_by(generation);
    let following = tokio::spawn(
        loaded
            .clone()
            .follow(nats.clone(), USER_ACCESS, cancel.clone()),
    );
    eventually("the bucket loaded", || loaded.is_loaded()).await;
    assert_eq!(
        loaded.get("u1").unwrap().generation,
        3,
        "the newest of the history"
    );

    bucket.put("u1", access(5)).await.unwrap();
    bucket.put("u1", access(4)).await.unwrap();
    bucket.put("u2", access(1)).await.unwrap();
    eventually("the later puts", || loaded.get("u2").is_some()).await;
    assert_eq!(
        loaded.get("u1").unwrap().generation,
        5,
        "the newest as they arrive"
    );

    cancel.cancel();
    following.await.unwrap().unwrap();
}
