//! Durable JetStream consumers: one per (service, purpose), shared by every replica of the
//! service, so running two copies splits the work instead of doing it twice.
//!
//! A handler gets CloudEvents in batches; `Ok` acknowledges them, `Err` asks for a redelivery
//! after a delay. Delivery is at least once, so handlers make themselves idempotent with
//! [`first_time`] inside the transaction that applies the events. A message that is not a
//! CloudEvent of the expected type can never succeed and is terminated (logged, not retried).

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use async_nats::jetstream::AckKind;
use async_nats::jetstream::consumer::{DeliverPolicy, pull};
use chrono::Utc;
use contracts::CloudEvent;
use contracts::streams::StreamSpec;
use diesel::prelude::*;
use futures_util::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::db::{DbConnection, DbError};
use crate::nats::Nats;
use crate::readiness::PendingStep;
use crate::trace::{self, TraceContext};

diesel::table! {
    processed_events (consumer, event_id) {
        consumer -> Text,
        event_id -> Text,
        processed_at -> Timestamp,
    }
}

/// Records that `consumer` handled `event_ids` and returns those it had not handled before.
/// Call it inside the transaction that applies the events, and apply only the returned ones.
pub fn first_time(
    conn: &mut DbConnection,
    consumer: &str,
    event_ids: &[String],
) -> Result<HashSet<String>, DbError> {
    let now = Utc::now().naive_utc();
    let rows: Vec<_> = event_ids
        .iter()
        .map(|id| {
            (
                processed_events::consumer.eq(consumer),
                processed_events::event_id.eq(id.as_str()),
                processed_events::processed_at.eq(now),
            )
        })
        .collect();
    let mut fresh = HashSet::with_capacity(rows.len());
    // One statement per thousand events (SQLite binds at most 32,766 parameters).
    for chunk in rows.chunks(1_000) {
        let statement = diesel::insert_into(processed_events::table)
            .values(chunk)
            .on_conflict_do_nothing()
            .returning(processed_events::event_id);
        let inserted: Vec<String> = crate::per_backend!(conn, c => statement.get_results(c))?;
        fresh.extend(inserted);
    }
    Ok(fresh)
}

/// A durable pull consumer of one stream, optionally filtered to one subject.
#[derive(Debug, Clone)]
pub struct DurableConsumer {
    pub stream: StreamSpec,
    /// Fixed per (service, purpose), e.g. `ecommerce-orders-created`.
    pub name: String,
    /// The production subject (or wildcard) taken, as `contracts` builds it, e.g.
    /// `orders.created`; the consumer is filtered to it in the connection's namespace.
    pub filter_subject: String,
    /// How long a handler may take before the server redelivers the message.
    pub ack_wait: Duration,
    /// The most events handed to the handler at once.
    pub max_batch: usize,
}

/// Runs `handler` for the events of `spec` until `cancel` fires, reconnecting as needed.
///
/// Events come in batches: the first that arrives, plus those already waiting, up to
/// `spec.max_batch`, so that a handler under load pays for one transaction per batch rather
/// than one per event. The whole batch is acknowledged when the handler succeeds, and
/// redelivered when it fails. The service is not ready until the consumer is attached (and
/// so its stream exists); the step counts from the call on, so call it before spawning.
pub fn consume<T, F, Fut>(
    nats: Nats,
    spec: DurableConsumer,
    cancel: CancellationToken,
    handler: F,
) -> impl Future<Output = anyhow::Result<()>>
where
    T: DeserializeOwned,
    F: Fn(Vec<CloudEvent<T>>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let attached = nats.readiness().register(format!("consumer {}", spec.name));
    async move {
        let mut delay = Duration::from_millis(200);
        loop {
            if !nats.connected(&cancel).await {
                return Ok(());
            }
            match consume_until_error(&nats, &spec, &cancel, &handler, &attached).await {
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
}

async fn consume_until_error<T, F, Fut>(
    nats: &Nats,
    spec: &DurableConsumer,
    cancel: &CancellationToken,
    handler: &F,
    attached: &PendingStep,
) -> anyhow::Result<()>
where
    T: DeserializeOwned,
    F: Fn(Vec<CloudEvent<T>>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let stream = nats.ensure_stream(&spec.stream).await?;
    let name = nats.namespace().consumer_name(&spec.name);
    let config = pull::Config {
        durable_name: Some(name.clone()),
        filter_subject: nats.namespace().resolve(&spec.filter_subject),
        ack_wait: spec.ack_wait,
        ..Default::default()
    };
    let mut consumer = stream.get_or_create_consumer(&name, config.clone()).await?;
    // A stream that lost its tail (NATS's state lost in a power cut) goes back to an earlier
    // last sequence while the consumer stays where it was: it would skip as many new events
    // without a word. Such a consumer starts again just after the stream's end.
    let end = stream.cached_info().state.last_sequence;
    let position = consumer.cached_info().delivered.stream_sequence;
    if position > end {
        tracing::error!(consumer = %spec.name, position, stream_end = end, "the consumer was past its stream's end (the stream lost messages): moved back to the end; republish the lost events (docs/runbooks.md)");
        metrics::counter!("nats_consumer_resets_total", "consumer" => spec.name.clone())
            .increment(1);
        nats.readiness().record_recovery(&format!(
            "consumer {} was at {position}, past its stream's end {end}: moved back to the end",
            spec.name
        ));
        stream.delete_consumer(&name).await?;
        consumer = stream
            .create_consumer(pull::Config {
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: end + 1,
                },
                ..config
            })
            .await?;
    }
    let mut messages = consumer.messages().await?;
    attached.done();
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            next = messages.next() => next,
        };
        let mut batch = vec![first.ok_or_else(|| anyhow::anyhow!("the message stream ended"))??];
        while batch.len() < spec.max_batch {
            match messages.next().now_or_never() {
                Some(Some(message)) => batch.push(message?),
                Some(None) => anyhow::bail!("the message stream ended"),
                None => break,
            }
        }
        let mut events = Vec::with_capacity(batch.len());
        let mut parsed = Vec::with_capacity(batch.len());
        for message in batch {
            match serde_json::from_slice::<CloudEvent<T>>(&message.payload) {
                Ok(event) => {
                    // The trace travels in the event and in the NATS header; either will do.
                    let header = message
                        .headers
                        .as_ref()
                        .and_then(|headers| headers.get(trace::TRACEPARENT))
                        .map(|value| value.as_str().to_owned());
                    let event = match event.traceparent {
                        Some(_) => event,
                        None => event.in_trace(header),
                    };
                    events.push(event);
                    parsed.push(message);
                }
                Err(error) => {
                    tracing::error!(consumer = %spec.name, subject = %message.subject, %error, "dropping a message that is not the expected event");
                    message
                        .ack_with(AckKind::Term)
                        .await
                        .map_err(anyhow::Error::from_boxed)?;
                }
            }
        }
        if events.is_empty() {
            continue;
        }
        let count = events.len();
        // The batch runs in its first event's trace; its span names every trace it holds, so
        // each trace id finds the batch's log lines.
        let traces: Vec<TraceContext> = events
            .iter()
            .filter_map(|e| e.traceparent.as_deref().and_then(TraceContext::parse))
            .collect();
        let trace = traces
            .first()
            .map_or_else(TraceContext::new_root, TraceContext::child);
        let span = tracing::info_span!(
            "events",
            consumer = %spec.name,
            trace_id = %trace.trace_id(),
            traces = %traces.iter().map(TraceContext::trace_id).collect::<Vec<_>>().join(","),
        );
        let outcome = match trace::scope(trace, handler(events)).instrument(span).await {
            Ok(()) => AckKind::Ack,
            Err(error) => {
                tracing::warn!(consumer = %spec.name, events = count, error = %format!("{error:#}"), "event handling failed; will be redelivered");
                AckKind::Nak(Some(Duration::from_secs(1)))
            }
        };
        for message in parsed {
            message
                .ack_with(outcome)
                .await
                .map_err(anyhow::Error::from_boxed)?;
        }
    }
}
