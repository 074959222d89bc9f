//! Durable JetStream consumers: one per (service, purpose), shared by every replica of the
//! service, so running two copies splits the work instead of doing it twice.
//!
//! A handler gets each CloudEvent once it parses; `Ok` acknowledges it, `Err` asks for a
//! redelivery after a delay. Delivery is at least once, so handlers make themselves idempotent
//! with [`first_time`] inside the transaction that applies the event. A message that is not a
//! CloudEvent of the expected type can never succeed and is terminated (logged, not retried).

use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::pull;
use chrono::Utc;
use contracts::CloudEvent;
use contracts::streams::StreamSpec;
use diesel::prelude::*;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use crate::db::{DbConnection, DbError};
use crate::nats::Nats;

diesel::table! {
    processed_events (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        processed_at -> Timestamp,
    }
}

/// Records that `consumer` handled `event_id`; `false` if it already had. Call it inside the
/// transaction that applies the event, and skip the work when it answers `false`.
pub fn first_time(
    conn: &mut DbConnection,
    consumer: &str,
    event_id: &str,
) -> Result<bool, DbError> {
    let row = (
        processed_events::consumer.eq(consumer),
        processed_events::event_id.eq(event_id),
        processed_events::processed_at.eq(Utc::now().naive_utc()),
    );
    let inserted = match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(processed_events::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::insert_into(processed_events::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(sqlite)?,
    };
    Ok(inserted == 1)
}

/// A durable pull consumer of one stream, optionally filtered to one subject.
#[derive(Debug, Clone)]
pub struct DurableConsumer {
    pub stream: StreamSpec,
    /// Fixed per (service, purpose), e.g. `ecommerce-orders-created`.
    pub name: String,
    /// The subject suffix after the stream's prefix, e.g. `created` for `orders.created`.
    pub subject_suffix: String,
    /// How long a handler may take before the server redelivers the message.
    pub ack_wait: Duration,
}

/// Runs `handler` for every event of `spec` until `cancel` fires, reconnecting as needed.
pub async fn consume<T, F, Fut>(
    nats: Nats,
    spec: DurableConsumer,
    cancel: CancellationToken,
    handler: F,
) -> anyhow::Result<()>
where
    T: DeserializeOwned,
    F: Fn(CloudEvent<T>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut delay = Duration::from_millis(200);
    loop {
        if !nats.connected(&cancel).await {
            return Ok(());
        }
        match consume_until_error(&nats, &spec, &cancel, &handler).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::warn!(consumer = %spec.name, error = %format!("{error:#}"), "consumer interrupted; resuming");
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = tokio::time::sleep(delay) => delay = (delay * 2).min(Duration::from_secs(5)),
        }
    }
}

async fn consume_until_error<T, F, Fut>(
    nats: &Nats,
    spec: &DurableConsumer,
    cancel: &CancellationToken,
    handler: &F,
) -> anyhow::Result<()>
where
    T: DeserializeOwned,
    F: Fn(CloudEvent<T>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let stream = nats.ensure_stream(&spec.stream).await?;
    let name = nats.namespace().consumer_name(&spec.name);
    let consumer = stream
        .get_or_create_consumer(
            &name,
            pull::Config {
                durable_name: Some(name.clone()),
                filter_subject: nats.namespace().subject(&spec.stream, &spec.subject_suffix),
                ack_wait: spec.ack_wait,
                ..Default::default()
            },
        )
        .await?;
    let mut messages = consumer.messages().await?;
    loop {
        let message = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            next = messages.next() => match next {
                Some(message) => message?,
                None => anyhow::bail!("the message stream ended"),
            },
        };
        let event = match serde_json::from_slice::<CloudEvent<T>>(&message.payload) {
            Ok(event) => event,
            Err(error) => {
                tracing::error!(consumer = %spec.name, subject = %message.subject, %error, "dropping a message that is not the expected event");
                message
                    .ack_with(AckKind::Term)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                continue;
            }
        };
        let event_id = event.id;
        match handler(event).await {
            Ok(()) => message.ack().await.map_err(|e| anyhow::anyhow!("{e}"))?,
            Err(error) => {
                tracing::warn!(consumer = %spec.name, %event_id, error = %format!("{error:#}"), "event handling failed; will be redelivered");
                message
                    .ack_with(AckKind::Nak(Some(Duration::from_secs(1))))
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
        }
    }
}
