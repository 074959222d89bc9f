//! The durable consumer `delivery-webhooks` of `deliveries.status.*`: one message row per
//! (event, subscription that wants the status), written once however often the event comes.

use std::time::Duration;

use contracts::CloudEvent;
use contracts::deliveries::{self, DeliveryStatusChanged, WEBHOOK_STATUS_CHANGED, WebhookMessage};
use contracts::streams::DELIVERIES;
use platform::consumer::{self, DurableConsumer};
use platform::db::{Db, now};
use platform::nats::Nats;
use tokio_util::sync::CancellationToken;

use super::Wakeup;
use crate::db::webhooks::{self, MessageRow, PENDING};

pub fn run(
    db: Db,
    nats: Nats,
    wakeup: Wakeup,
    cancel: CancellationToken,
) -> impl Future<Output = anyhow::Result<()>> {
    let spec = DurableConsumer {
        stream: DELIVERIES,
        name: "delivery-webhooks".to_owned(),
        filter_subject: deliveries::every_change(),
        ack_wait: Duration::from_secs(30),
        max_batch: 500,
    };
    let handler = move |events: Vec<CloudEvent<DeliveryStatusChanged>>| {
        let (db, wakeup) = (db.clone(), wakeup.clone());
        async move {
            let added = db
                .write(move |conn| -> anyhow::Result<usize> {
                    let subscriptions = webhooks::enabled_subscriptions(conn)?;
                    let rows = messages_for(&events, &subscriptions)?;
                    Ok(webhooks::insert_messages(conn, &rows)?)
                })
                .await?;
            if added > 0 {
                wakeup.notify();
            }
            Ok(())
        }
    };
    consumer::consume(nats, spec, cancel, handler)
}

/// The messages `events` make for `subscriptions` (id, wanted statuses).
fn messages_for(
    events: &[CloudEvent<DeliveryStatusChanged>],
    subscriptions: &[(String, String)],
) -> serde_json::Result<Vec<MessageRow>> {
    let created_at = now();
    let mut rows = Vec::new();
    for event in events {
        let status = event.data.status.as_str();
        let body = serde_json::to_string(&WebhookMessage {
            kind: WEBHOOK_STATUS_CHANGED.to_owned(),
            timestamp: event.data.changed_at,
            data: event.data.clone(),
        })?;
        for (subscription, statuses) in subscriptions {
            if !webhooks::status_list(statuses).contains(&status) {
                continue;
            }
            rows.push(MessageRow {
                id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
                subscription_id: subscription.clone(),
                event_id: event.id.to_string(),
                delivery_id: event.data.delivery_id.clone(),
                status: status.to_owned(),
                body: body.clone(),
                state: PENDING.to_owned(),
                attempts: 0,
                next_attempt_at: created_at,
                locked_until: None,
                created_at,
                finished_at: None,
                traceparent: event.traceparent.clone(),
            });
        }
    }
    Ok(rows)
}
