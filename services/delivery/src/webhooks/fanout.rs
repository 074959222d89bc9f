//! The durable consumer `delivery-webhooks` of `deliveries.status.*`: one message row per
//! (event, subscription that wants the status and may hear about the delivery), written once
//! however often the event comes. A subscription hears about its owner's deliveries only
//! (`domain::owner::audience_of`), or every client's when an administrator asked for it.

use std::collections::HashMap;
use std::time::Duration;

use contracts::CloudEvent;
use contracts::deliveries::{
    self, DeliveryStatusChanged, WEBHOOK_STATUS_CHANGED, WebhookMessage, WebhookMessageState,
};
use contracts::streams::DELIVERIES;
use platform::consumer::{self, DurableConsumer};
use platform::db::{Db, now};
use platform::nats::Nats;
use tokio_util::sync::CancellationToken;

use super::Wakeup;
use crate::db::deliveries::creators as delivery_creators;
use crate::db::webhooks::{self, Audience, MessageRow};
use crate::domain::{DeliveryId, owner};

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
                    let ids: Vec<DeliveryId> = events
                        .iter()
                        .map(|e| DeliveryId::from(e.data.delivery_id.clone()))
                        .collect();
                    let creators = delivery_creators(conn, &ids)?;
                    let rows = messages_for(&events, &subscriptions, &creators)?;
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

/// The messages `events` make for `subscriptions`, given each delivery's creator.
fn messages_for(
    events: &[CloudEvent<DeliveryStatusChanged>],
    subscriptions: &[Audience],
    creators: &HashMap<String, String>,
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
        let audience = creators
            .get(&event.data.delivery_id)
            .map(|created_by| owner::audience_of(created_by));
        for subscription in subscriptions {
            let hears = subscription.all_deliveries
                || audience.is_some_and(|owner| owner == subscription.owner_id);
            if !hears || !webhooks::status_list(&subscription.statuses).contains(&status) {
                continue;
            }
            rows.push(MessageRow {
                id: format!("msg_{}", uuid::Uuid::now_v7().simple()),
                subscription_id: subscription.id.clone(),
                event_id: event.id.to_string(),
                delivery_id: event.data.delivery_id.clone(),
                status: event.data.status,
                body: body.clone(),
                state: WebhookMessageState::Pending,
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
