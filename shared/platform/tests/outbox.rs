//! The transactional outbox against real NATS and a real database (SQLite, or PostgreSQL with
//! TEST_DATABASE_URL): atomic with the change, published once however many relays run, and
//! nothing lost while NATS is down.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use contracts::CloudEvent;
use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use diesel::prelude::*;
use diesel_migrations::{EmbeddedMigrations, embed_migrations};
use platform::ApiError;
use platform::db::{Db, DbConnection, Migrations};
use platform::nats::Nats;
use platform::outbox::{self, OutboxMessage, OutboxRelay, OutboxSignal, RelaySettings};
use platform::settings::NatsSettings;
use test_support::{TestDatabase, TestNats};
use tokio_util::sync::CancellationToken;

const SQLITE: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("tests/fixtures/migrations/postgres");

diesel::table! {
    notes (id) {
        id -> Text,
        body -> Text,
    }
}

struct Harness {
    db: Db,
    nats: Nats,
    test_nats: TestNats,
    _database: TestDatabase,
}

async fn harness() -> Harness {
    platform::telemetry::init_for_test();
    let test_nats = TestNats::start_private().await.unwrap();
    let database = TestDatabase::create().unwrap();
    let db = Db::connect(
        &platform::db::DatabaseUrl::parse(database.url()).unwrap(),
        4,
    )
    .unwrap();
    db.migrate(Migrations {
        sqlite: SQLITE,
        postgres: POSTGRES,
    })
    .await
    .unwrap();
    let settings = NatsSettings {
        url: test_nats.url().to_owned(),
        namespace: test_nats.namespace().to_owned(),
        ..Default::default()
    };
    let nats = Nats::connect(&settings, "outbox-test").await.unwrap();
    nats.ensure_stream(&ORDERS).await.unwrap();
    Harness {
        db,
        nats,
        test_nats,
        _database: database,
    }
}

/// Writes a note and its event in one transaction, failing afterwards when `fail` is set.
async fn write_note(h: &Harness, id: &str, fail: bool) -> Result<(), ApiError> {
    let subject = orders::subject(OrderStatus::Created);
    let id = id.to_owned();
    h.db.write(move |conn: &mut DbConnection| {
        diesel::insert_into(notes::table)
            .values((notes::id.eq(&id), notes::body.eq("hello")))
            .execute(conn)?;
        let event = CloudEvent::new(
            "/test",
            "co.cargoexpress.note.created.v1",
            id.clone(),
            serde_json::json!({}),
        );
        outbox::enqueue(
            conn,
            &[OutboxMessage::event(subject.clone(), event).unwrap()],
        )?;
        if fail {
            Err(ApiError::conflict("changed my mind"))
        } else {
            Ok(())
        }
    })
    .await
}

async fn stream_messages(h: &Harness) -> u64 {
    let mut stream = h
        .nats
        .jetstream()
        .get_stream(h.nats.namespace().stream_name(&ORDERS))
        .await
        .unwrap();
    stream.info().await.unwrap().state.messages
}

async fn pending(h: &Harness) -> i64 {
    h.db.run(|conn| outbox::pending_count(conn).map_err(platform::db::DbError::from))
        .await
        .unwrap()
}

fn relay(h: &Harness) -> OutboxRelay {
    let settings = RelaySettings {
        batch_size: 7,
        poll_interval: Duration::from_millis(20),
        ..RelaySettings::default()
    };
    OutboxRelay::new(
        h.db.clone(),
        h.nats.clone(),
        OutboxSignal::default(),
        settings,
    )
}

/// Waits until the relays running in the background have published every row.
async fn drained(h: &Harness) {
    test_support::eventually(Duration::from_secs(30), "the outbox drained", || async {
        pending(h).await == 0
    })
    .await;
}

#[tokio::test]
async fn a_rolled_back_change_leaves_no_message_and_a_committed_one_does() {
    let h = harness().await;
    assert!(write_note(&h, "kept", false).await.is_ok());
    assert!(write_note(&h, "dropped", true).await.is_err());
    assert_eq!(
        pending(&h).await,
        1,
        "only the committed change has an outbox row"
    );
    let published = relay(&h).relay_batch().await.unwrap();
    assert_eq!(published, 1);
    assert_eq!(stream_messages(&h).await, 1);
    assert_eq!(pending(&h).await, 0);
}

#[tokio::test]
async fn two_relays_publish_every_message_exactly_once() {
    let h = harness().await;
    for i in 0..60 {
        write_note(&h, &format!("n{i}"), false).await.unwrap();
    }
    let cancel = CancellationToken::new();
    let first = tokio::spawn(relay(&h).run(cancel.clone()));
    let second = tokio::spawn(relay(&h).run(cancel.clone()));
    drained(&h).await;
    cancel.cancel();
    first.await.unwrap().unwrap();
    second.await.unwrap().unwrap();
    assert_eq!(
        stream_messages(&h).await,
        60,
        "each of the 60 events is in the stream once"
    );
}

#[tokio::test]
async fn messages_written_while_nats_is_down_are_published_when_it_returns() {
    let mut h = harness().await;
    let cancel = CancellationToken::new();
    let running = tokio::spawn(relay(&h).run(cancel.clone()));
    write_note(&h, "before", false).await.unwrap();
    drained(&h).await;

    h.test_nats.stop().unwrap();
    for i in 0..5 {
        write_note(&h, &format!("during{i}"), false)
            .await
            .expect("writes succeed while NATS is down");
    }
    // Long enough for the relay to try, and fail, while the server is away.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        pending(&h).await > 0,
        "nothing can be published while NATS is down"
    );
    h.test_nats.resume().await.unwrap();

    drained(&h).await;
    cancel.cancel();
    running.await.unwrap().unwrap();
    assert_eq!(stream_messages(&h).await, 6);
}

#[tokio::test]
async fn many_messages_of_one_transaction_share_rows_but_are_published_one_by_one_in_order() {
    let h = harness().await;
    let subject = orders::subject(OrderStatus::Created);
    let events: Vec<CloudEvent<serde_json::Value>> = (0..2_500)
        .map(|i| {
            CloudEvent::new(
                "/test",
                "co.cargoexpress.note.created.v1",
                format!("n{i}"),
                serde_json::json!({"n": i}),
            )
        })
        .collect();
    let messages: Vec<OutboxMessage> = events
        .iter()
        .map(|e| OutboxMessage::event(subject.clone(), e.clone()).unwrap())
        .collect();
    h.db.write(move |conn| {
        outbox::enqueue_many(conn, &messages).map_err(platform::db::DbError::from)
    })
    .await
    .unwrap();
    assert_eq!(pending(&h).await, 3, "a row per thousand messages");

    relay(&h).relay_batch().await.unwrap();
    assert_eq!(pending(&h).await, 0);
    assert_eq!(stream_messages(&h).await, 2_500);
    let stream = h
        .nats
        .jetstream()
        .get_stream(h.nats.namespace().stream_name(&ORDERS))
        .await
        .unwrap();
    for (sequence, event) in [
        (1, &events[0]),
        (1_001, &events[1_000]),
        (2_500, &events[2_499]),
    ] {
        let message = stream.get_raw_message(sequence).await.unwrap();
        let received: CloudEvent<serde_json::Value> =
            serde_json::from_slice(&message.payload).unwrap();
        assert_eq!(received.id, event.id, "message {sequence} in order");
        let id = message.headers.get("Nats-Msg-Id").map(|v| v.to_string());
        assert_eq!(id, Some(event.id.to_string()), "published with its own id");
        assert!(message.headers.get("Cx-Outbox-Batch").is_none());
    }
}

/// Relays batches until no row is left to publish, failed attempts included.
async fn relay_until_drained(h: &Harness) {
    test_support::eventually(Duration::from_secs(30), "the outbox drained", || async {
        let _ = relay(h).relay_batch().await;
        pending(h).await == 0
    })
    .await;
}

#[tokio::test]
async fn a_stream_nats_lost_is_made_again_by_the_relay_and_the_next_events_are_stored() {
    let h = harness().await;
    write_note(&h, "before", false).await.unwrap();
    relay(&h).relay_batch().await.unwrap();
    h.nats
        .jetstream()
        .delete_stream(h.nats.namespace().stream_name(&ORDERS))
        .await
        .unwrap();

    write_note(&h, "after", false).await.unwrap();
    // The first attempt finds no stream for the subject, and makes it again.
    assert!(relay(&h).relay_batch().await.is_err());
    assert!(
        h.nats
            .readiness()
            .recovered()
            .iter()
            .any(|r| r.ends_with("stream ORDERS was missing: recreated")),
        "{:?}",
        h.nats.readiness().recovered()
    );
    // The retry lands (the row waits out its short hold first).
    relay_until_drained(&h).await;
    assert_eq!(
        stream_messages(&h).await,
        1,
        "the event written after the loss"
    );

    // What was lost comes back with republish: the row of "before" is sent again.
    let since = chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(1);
    let queued =
        h.db.write(move |conn| {
            outbox::republish_since(conn, since).map_err(platform::db::DbError::from)
        })
        .await
        .unwrap();
    assert_eq!(queued, 2);
    relay_until_drained(&h).await;
    assert_eq!(
        stream_messages(&h).await,
        2,
        "before is stored again; after, still in the duplicate window, is not stored twice"
    );
}
