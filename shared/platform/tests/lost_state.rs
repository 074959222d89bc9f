//! What NATS lost, made good by the services themselves: a durable consumer left past the end
//! of a stream that lost its tail is moved back to the end (and says so), instead of skipping
//! the next events in silence.

// Panicking is how a test reports failure: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::time::Duration;

use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use contracts::CloudEvent;
use contracts::orders::{self, OrderStatus};
use contracts::streams::ORDERS;
use platform::consumer::{self, DurableConsumer};
use platform::nats::Nats;
use serde_json::{Value, json};
use test_support::TestNats;
use tokio_util::sync::CancellationToken;

async fn publish(nats: &Nats, subject: &str, name: &str) {
    let event = CloudEvent::new("/test", "co.cargoexpress.test.v1", name, json!({}));
    nats.jetstream()
        .publish(
            subject.to_owned(),
            serde_json::to_vec(&event).unwrap().into(),
        )
        .await
        .unwrap()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_consumer_past_its_streams_end_is_moved_back_and_takes_the_next_events() {
    platform::telemetry::init_for_test();
    let test_nats = TestNats::start_private().await.unwrap();
    let nats = test_nats.client().await.unwrap();
    let stream = nats.ensure_stream(&ORDERS).await.unwrap();
    let production_subject = orders::subject(OrderStatus::Created);
    let subject = nats.namespace().resolve(&production_subject);
    for name in ["one", "two"] {
        publish(&nats, &subject, name).await;
    }
    // Where the consumer was before the stream lost its tail: past sequence 50, while the
    // stream now ends at 2.
    let name = nats.namespace().consumer_name("test-orders");
    stream
        .create_consumer(pull::Config {
            durable_name: Some(name.clone()),
            filter_subject: subject.clone(),
            deliver_policy: DeliverPolicy::ByStartSequence { start_sequence: 51 },
            ..Default::default()
        })
        .await
        .unwrap();

    let (seen, mut received) = tokio::sync::mpsc::unbounded_channel();
    let spec = DurableConsumer {
        stream: ORDERS,
        name: "test-orders".to_owned(),
        filter_subject: production_subject,
        ack_wait: Duration::from_secs(30),
        max_batch: 10,
    };
    let cancel = CancellationToken::new();
    let running = tokio::spawn(consumer::consume(
        nats.clone(),
        spec,
        cancel.clone(),
        move |events: Vec<CloudEvent<Value>>| {
            let seen = seen.clone();
            async move {
                for event in events {
                    seen.send(event.subject).unwrap();
                }
                Ok(())
            }
        },
    ));
    test_support::eventually_some(Duration::from_secs(10), "the consumer attached", || async {
        nats.readiness().is_ready().then_some(())
    })
    .await;

    publish(&nats, &subject, "three").await;
    let next = tokio::time::timeout(Duration::from_secs(10), received.recv())
        .await
        .expect("the event after the loss reaches the consumer")
        .unwrap();
    assert_eq!(
        next, "three",
        "the events it had handled are not taken again"
    );
    let recovered = nats.readiness().recovered();
    assert!(
        recovered.iter().any(|r| r.ends_with(
            "consumer test-orders was at 50, past its stream's end 2: moved back to the end"
        )),
        "{recovered:?}"
    );
    cancel.cancel();
    running.await.unwrap().unwrap();
}
