//! Group commit (issue 14): purchases written together in one transaction are still decided
//! one by one. These tests hand a batch to the workflow directly, so that the purchases are
//! certain to share one transaction.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use contracts::orders::OrderStatus;
use ecommerce::db::users;
use ecommerce::domain::Quantity;
use ecommerce::purchases::batch::place_all;
use ecommerce::purchases::{
    Checkout, GroupCommitSettings, Placed, Purchase, PurchaseBatcher, PurchaseError,
};
use ecommerce::routes::render_purchase;
use platform::ApiError;
use platform::auth::Role;
use platform::outbox::OutboxSignal;
use serde_json::Value;

use crate::helpers::{TestApp, assert_one_purchase, spawn_app};

/// A purchase's answer, still to be awaited.
type Answer<'a> = Pin<Box<dyn Future<Output = Result<Placed, PurchaseError>> + Send + 'a>>;

fn checkout(buyer_id: &str, lines: &[(&str, i64)], key: Option<&str>) -> Checkout {
    let mut purchase = Purchase {
        lines: BTreeMap::new(),
        positions: BTreeMap::new(),
        delivery_name: "Ana Buyer".to_owned(),
        delivery_address: "Calle 1 # 2-3, Bogotá".to_owned(),
    };
    for (i, (sku, units)) in lines.iter().enumerate() {
        purchase
            .lines
            .insert((*sku).to_owned(), Quantity::parse(*units).unwrap());
        purchase.positions.insert((*sku).to_owned(), i);
    }
    Checkout {
        buyer_id: buyer_id.to_owned(),
        purchase,
        key: key.map(str::to_owned),
        trace: None,
    }
}

/// Writes `batch` in one transaction, as the batcher does; answers each purchase.
async fn place_in_one_transaction(
    app: &TestApp,
    batch: Vec<Checkout>,
) -> Vec<Result<Placed, PurchaseError>> {
    let fresh_since = ecommerce::db::now() - chrono::TimeDelta::hours(1);
    app.database()
        .write(move |conn| -> Result<_, ApiError> {
            Ok(place_all(conn, fresh_since, &batch, render_purchase)?)
        })
        .await
        .expect("the batch commits")
}

async fn demo_buyer_id(app: &TestApp) -> String {
    app.database()
        .run(|conn| -> Result<_, ApiError> {
            Ok(users::find_by_email(conn, "buyer@cargoexpress.test")?)
        })
        .await
        .unwrap()
        .expect("the demo buyer")
        .id
}

fn fresh(answer: &Result<Placed, PurchaseError>) -> Value {
    match answer {
        Ok(Placed::Fresh(body)) => serde_json::from_str(body).unwrap(),
        other => panic!("expected a placed purchase, got {other:?}"),
    }
}

#[tokio::test]
async fn a_purchase_that_fails_in_a_batch_gets_its_own_error_and_its_neighbours_are_placed() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Batch Shop").await;
    app.create_product(&seller, "BATCH-A", 2.5, 5).await;
    app.create_product(&seller, "BATCH-B", 4.0, 10).await;
    let buyer = demo_buyer_id(&app).await;

    let answers = place_in_one_transaction(
        &app,
        vec![
            checkout(&buyer, &[("BATCH-A", 3)], None),
            // Only 2 units are left after the first purchase: refused whole, B included.
            checkout(&buyer, &[("BATCH-A", 3), ("BATCH-B", 1)], None),
            checkout(&buyer, &[("BATCH-B", 4), ("BATCH-A", 2)], None),
            checkout(&buyer, &[("NO-SUCH-SKU", 1)], None),
        ],
    )
    .await;

    let first = fresh(&answers[0]);
    assert_eq!(first["orders"][0]["lines"][0]["quantity"], 3);
    match &answers[1] {
        Err(PurchaseError::ShortOfStock(shortages)) => {
            assert_eq!(shortages.len(), 1, "{shortages:?}");
            assert_eq!(shortages[0].sku, "BATCH-A");
            assert_eq!(shortages[0].requested, 3);
            assert_eq!(shortages[0].available, 2);
        }
        other => panic!("expected a shortage, got {other:?}"),
    }
    let third = fresh(&answers[2]);
    assert_eq!(third["orders"][0]["lines"].as_array().unwrap().len(), 2);
    match &answers[3] {
        Err(PurchaseError::UnknownSkus(unknown)) => assert_eq!(unknown[0].line, 0),
        other => panic!("expected an unknown SKU, got {other:?}"),
    }

    // Exactly the two placed purchases took stock, have orders and announced them.
    assert_eq!(app.stock("BATCH-A").await, 0);
    assert_eq!(app.stock("BATCH-B").await, 6);
    let token = app.token(Role::MarketplaceUser).await;
    let mine: Value = app
        .get("/orders?limit=100", &token)
        .await
        .json()
        .await
        .unwrap();
    let purchases: Vec<&Value> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| &o["purchase_id"])
        .collect();
    assert_eq!(purchases.len(), 2, "{mine:#}");
    assert!(purchases.contains(&&first["purchase_id"]));
    assert!(purchases.contains(&&third["purchase_id"]));
    let created = app.order_events(OrderStatus::Created, 2).await;
    assert_eq!(created.len(), 2);
}

#[tokio::test]
async fn a_key_used_twice_in_one_batch_places_one_purchase_and_answers_both_alike() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Key Shop").await;
    app.create_product(&seller, "KEY-A", 1.0, 10).await;
    let buyer = demo_buyer_id(&app).await;

    let answers = place_in_one_transaction(
        &app,
        vec![
            checkout(&buyer, &[("KEY-A", 1)], Some("retry-1")),
            checkout(&buyer, &[("KEY-A", 1)], Some("retry-1")),
        ],
    )
    .await;

    let Ok(Placed::Fresh(first)) = &answers[0] else {
        panic!("expected a placed purchase, got {:?}", answers[0]);
    };
    match &answers[1] {
        Ok(Placed::Replayed(body)) => assert_eq!(body, first),
        other => panic!("expected the first answer again, got {other:?}"),
    }
    assert_eq!(app.stock("KEY-A").await, 9);
}

#[tokio::test]
async fn when_a_batch_fails_in_the_database_each_purchase_is_written_on_its_own() {
    let app = spawn_app().await;
    let (_, seller) = app.create_seller("Fallback Shop").await;
    app.create_product(&seller, "FALL-A", 3.0, 10).await;
    let buyer = demo_buyer_id(&app).await;
    let (batcher, writer) = PurchaseBatcher::new(
        app.database(),
        OutboxSignal::default(),
        chrono::TimeDelta::hours(1),
        render_purchase,
        &GroupCommitSettings {
            max_batch: 3,
            writers: 1,
        },
    );
    // A buyer deleted after logging in: its order breaks a foreign key, a database error that
    // fails the whole batch's transaction.
    let checkouts = [
        checkout(&buyer, &[("FALL-A", 1)], None),
        checkout("no-such-buyer", &[("FALL-A", 1)], None),
        checkout(&buyer, &[("FALL-A", 2)], None),
    ];
    let mut answers: Vec<Answer<'_>> = checkouts
        .into_iter()
        .map(|c| Box::pin(batcher.place(c)) as Answer<'_>)
        .collect();
    // Each purchase is handed over before the writer starts, so all three form one batch.
    let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
    for answer in &mut answers {
        assert!(matches!(answer.as_mut().poll(&mut cx), Poll::Pending));
    }
    let writing = tokio::spawn(writer.run());
    let answers = futures_util::future::join_all(answers).await;
    // The writer stops once no one can hand it a purchase any more.
    drop(batcher);
    writing.await.unwrap().unwrap();

    assert!(
        matches!(answers[0], Ok(Placed::Fresh(_))),
        "{:?}",
        answers[0]
    );
    assert!(
        matches!(answers[1], Err(PurchaseError::Refused(_))),
        "the purchase of the deleted buyer alone is refused: {:?}",
        answers[1]
    );
    assert!(
        matches!(answers[2], Ok(Placed::Fresh(_))),
        "{:?}",
        answers[2]
    );
    assert_eq!(app.stock("FALL-A").await, 7);
}

#[tokio::test]
async fn retries_with_one_key_on_two_replicas_and_in_two_batches_at_once_buy_once() {
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let before = app.stock("pk0003").await;
    let body = serde_json::json!({"lines": [{"sku": "pk0003", "quantity": 1}]});
    // Both replicas write two batches at a time: the retries meet in different batches of
    // one replica as well as on the two.
    let attempts = (0..16).map(|i| {
        let api = if i % 2 == 0 { &app.api } else { &replica.api };
        api.request(reqwest::Method::POST, "/orders", Some(&buyer))
            .header("Idempotency-Key", "double-click-twice")
            .json(&body)
            .send()
    });
    let responses = futures_util::future::join_all(attempts).await;
    assert_one_purchase(responses.into_iter().map(Result::unwrap).collect()).await;
    assert_eq!(app.stock("pk0003").await, before - 1);
}

#[tokio::test]
async fn one_key_sent_for_different_purchases_on_two_replicas_at_once_places_one() {
    let app = spawn_app().await;
    let replica = app.spawn_replica().await;
    let buyer = app.token(Role::MarketplaceUser).await;
    let skus = ["pk0001", "pk0002", "pk0003", "pk0004"];
    let mut before = Vec::new();
    for sku in skus {
        before.push(app.stock(sku).await);
    }
    // Each attempt buys another product, so no product lock orders them: the keys meet in
    // the database, where the second replica to store one collides with the first.
    let attempts = skus.iter().enumerate().map(|(i, sku)| {
        let api = if i % 2 == 0 { &app.api } else { &replica.api };
        api.request(reqwest::Method::POST, "/orders", Some(&buyer))
            .header("Idempotency-Key", "one-key-four-carts")
            .json(&serde_json::json!({"lines": [{"sku": sku, "quantity": 1}]}))
            .send()
    });
    let responses = futures_util::future::join_all(attempts).await;
    let mut placed = 0;
    for response in responses {
        let response = response.unwrap();
        match response.status() {
            reqwest::StatusCode::CREATED => placed += 1,
            status => {
                assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY);
                let problem: Value = response.json().await.unwrap();
                assert_eq!(problem["invalid-params"][0]["name"], "Idempotency-Key");
            }
        }
    }
    assert_eq!(placed, 1, "one purchase is placed under the key");
    let mut taken = 0;
    for (sku, before) in skus.iter().zip(before) {
        taken += before - app.stock(sku).await;
    }
    assert_eq!(taken, 1, "the refused purchases took no stock");
}
