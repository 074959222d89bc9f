//! `deliveries.status.<STATUS>` events, written to the outbox in the transaction of each change.

use chrono::{DateTime, Utc};
use contracts::CloudEvent;
use contracts::deliveries::{self, DELIVERY_STATUS_CHANGED, DeliveryStatus, DeliveryStatusChanged};
use platform::outbox::OutboxMessage;

use crate::domain::{DeliveryId, owner};

/// Where delivery's events say they come from.
pub const SOURCE: &str = "/cargo-express/delivery";

/// What the event says about the delivery that changed.
#[derive(Debug, Clone, Copy)]
pub struct Changed<'a> {
    pub delivery_id: &'a DeliveryId,
    pub tracking_number: &'a str,
    pub foreign_order_id: &'a str,
    pub courier_id: i64,
    /// Who created the delivery (`domain::owner`).
    pub created_by: &'a str,
}

/// The event announcing that the delivery reached `status` from `previous` at `at`.
pub fn status_changed(
    delivery: Changed<'_>,
    status: DeliveryStatus,
    previous: Option<DeliveryStatus>,
    at: DateTime<Utc>,
) -> Result<OutboxMessage, serde_json::Error> {
    let data = DeliveryStatusChanged {
        delivery_id: delivery.delivery_id.to_string(),
        tracking_number: delivery.tracking_number.to_owned(),
        foreign_order_id: delivery.foreign_order_id.to_owned(),
        courier_id: delivery.courier_id,
        marketplace_order: owner::is_marketplace(delivery.created_by),
        status,
        previous_status: previous,
        changed_at: at,
    };
    let event = CloudEvent::new(
        SOURCE,
        DELIVERY_STATUS_CHANGED,
        delivery.delivery_id.to_string(),
        data,
    );
    OutboxMessage::event(deliveries::subject(status), event)
}
