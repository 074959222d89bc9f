//! Delivery events on the DELIVERIES stream: `deliveries.status.<STATUS>`, written by delivery.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CloudEvents `type` of [`DeliveryStatusChanged`].
pub const DELIVERY_STATUS_CHANGED: &str = "co.cargoexpress.delivery.status_changed.v1";

/// The subject of a delivery's change to `status`: `deliveries.status.<STATUS>`.
pub fn subject(status: DeliveryStatus) -> String {
    crate::streams::DELIVERIES.subject(&format!("status.{}", status.as_str()))
}

/// The subjects of every delivery's changes: `deliveries.status.>`.
pub fn every_change() -> String {
    crate::streams::DELIVERIES.subject("status.>")
}

status_enum! {
    /// The statuses of a delivery (seed 004), spelled as the seed spells them.
    #[schema_description = "A delivery's status, as the `status` filter takes it."]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
    pub enum DeliveryStatus {
        ReadyForPickUp,
        InOrigin,
        InRouteOfDelivery,
        NotDelivered,
        Delivered,
    }
}

impl DeliveryStatus {
    pub const ALL: [DeliveryStatus; 5] = [
        DeliveryStatus::ReadyForPickUp,
        DeliveryStatus::InOrigin,
        DeliveryStatus::InRouteOfDelivery,
        DeliveryStatus::NotDelivered,
        DeliveryStatus::Delivered,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::ReadyForPickUp => "READY_FOR_PICK_UP",
            DeliveryStatus::InOrigin => "IN_ORIGIN",
            DeliveryStatus::InRouteOfDelivery => "IN_ROUTE_OF_DELIVERY",
            DeliveryStatus::NotDelivered => "NOT_DELIVERED",
            DeliveryStatus::Delivered => "DELIVERED",
        }
    }

    pub fn parse(value: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value)
    }

    /// `DELIVERED` is the only final status.
    pub fn is_final(self) -> bool {
        self == DeliveryStatus::Delivered
    }
}

/// Payload of every `deliveries.status.<STATUS>` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryStatusChanged {
    pub delivery_id: String,
    pub tracking_number: String,
    /// The order the delivery carries, in its creator's own ids.
    pub foreign_order_id: String,
    pub courier_id: i64,
    /// Whether the delivery carries a marketplace order (made when its seller dispatched it),
    /// rather than an order of a system that created it through the API. Only marketplace
    /// deliveries speak for marketplace orders. Absent in events older than the field: false.
    #[serde(default)]
    pub marketplace_order: bool,
    pub status: DeliveryStatus,
    pub previous_status: Option<DeliveryStatus>,
    pub changed_at: DateTime<Utc>,
}

/// The token subject ecommerce registers its webhook receiver with: the subscriptions of this
/// subject hear about the marketplace's deliveries (those made from `orders.dispatched`).
pub const MARKETPLACE_SUBSCRIBER: &str = "ecommerce";

/// The `type` of every webhook message the delivery service sends.
pub const WEBHOOK_STATUS_CHANGED: &str = "delivery.status_changed";

/// The JSON body of a webhook message (Standard Webhooks shape: `type`, `timestamp`, `data`).
/// Its `webhook-id` header stays the same across retries of one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookMessage {
    #[serde(rename = "type")]
    pub kind: String,
    /// When the status changed.
    pub timestamp: DateTime<Utc>,
    pub data: DeliveryStatusChanged,
}

status_enum! {
    /// Where a webhook message stands: waiting for (another) attempt, or finished one way.
    #[schema_description = "pending, succeeded or failed."]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WebhookMessageState {
        Pending,
        Succeeded,
        Failed,
    }
}

impl WebhookMessageState {
    pub const ALL: [WebhookMessageState; 3] = [
        WebhookMessageState::Pending,
        WebhookMessageState::Succeeded,
        WebhookMessageState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WebhookMessageState::Pending => "pending",
            WebhookMessageState::Succeeded => "succeeded",
            WebhookMessageState::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<WebhookMessageState> {
        WebhookMessageState::ALL
            .into_iter()
            .find(|state| state.as_str() == value)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn statuses_are_spelled_as_in_the_seed() {
        for status in DeliveryStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(DeliveryStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeliveryStatus::ReadyForPickUp.as_str(), "READY_FOR_PICK_UP");
        assert!(DeliveryStatus::Delivered.is_final());
        assert!(!DeliveryStatus::NotDelivered.is_final());
    }
}
