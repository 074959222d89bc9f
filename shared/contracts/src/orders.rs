//! Order events on the ORDERS stream: `orders.<status>`, written by ecommerce.
//!
//! Every status change carries the whole order as it is after the change, so a consumer of any
//! single status (delivery reads `orders.dispatched`, metrics reads all) needs nothing else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// CloudEvents `type` of [`OrderStatusChanged`].
pub const ORDER_STATUS_CHANGED: &str = "co.cargoexpress.order.status_changed.v1";

/// The subject of an order's change to `status`: `orders.<status>`.
pub fn subject(status: OrderStatus) -> String {
    crate::streams::ORDERS.subject(status.as_str())
}

/// The subjects of every order change: `orders.>`.
pub fn every_change() -> String {
    crate::streams::ORDERS.subject(">")
}

status_enum! {
    /// The statuses of an order, as they appear in subjects (`orders.created`) and payloads.
    #[schema_description = "An order's status, as the `status` filter takes it."]
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum OrderStatus {
        Created,
        Confirmed,
        Dispatched,
        Delivered,
        Cancelled,
    }
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 5] = [
        OrderStatus::Created,
        OrderStatus::Confirmed,
        OrderStatus::Dispatched,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "created",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Dispatched => "dispatched",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Our name or seed 002's (`inprocess`), for requests; events and answers use ours only.
    pub fn parse_with_seed_names(value: &str) -> Option<OrderStatus> {
        OrderStatus::parse(value).or_else(|| {
            SEED_002_STATUSES
                .into_iter()
                .find_map(|(name, status)| (name == value).then_some(status))
        })
    }

    /// Seed 002's name of this status, if it has one (`dispatched` has none).
    pub fn seed_002_name(self) -> Option<&'static str> {
        SEED_002_STATUSES
            .into_iter()
            .find_map(|(name, status)| (status == self).then_some(name))
    }
}

/// Seed 002's order statuses and the status each one is here. The seed gives every status its
/// own queue and processor; here that is the status's `orders.<status>` subject and durable
/// consumer, so the seed's names need no subjects of their own. `dispatched` (handed to the
/// delivery service) is a step seed 002 does not have.
pub const SEED_002_STATUSES: [(&str, OrderStatus); 4] = [
    ("received", OrderStatus::Created),
    ("inprocess", OrderStatus::Confirmed),
    ("completed", OrderStatus::Delivered),
    ("canceled", OrderStatus::Cancelled),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_seed_002_status_is_one_of_ours_and_no_two_share_one() {
        for (name, status) in SEED_002_STATUSES {
            assert_eq!(OrderStatus::parse_with_seed_names(name), Some(status));
            assert_eq!(status.seed_002_name(), Some(name));
        }
        assert_eq!(OrderStatus::Dispatched.seed_002_name(), None);
        assert_eq!(
            OrderStatus::parse_with_seed_names("cancelled"),
            Some(OrderStatus::Cancelled)
        );
        assert_eq!(OrderStatus::parse_with_seed_names("in process"), None);
    }

    #[test]
    fn json_and_the_database_spell_each_status_alike() {
        for status in OrderStatus::ALL {
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
        }
    }
}

/// One product line of an order, priced when it was bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub unit_price_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    /// The seller's warehouse, where the courier picks the order up.
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Destination {
    pub name: String,
    pub address: String,
}

/// Payload of every `orders.<status>` event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderStatusChanged {
    pub order_id: String,
    /// The purchase this order was split from (one order per seller).
    pub purchase_id: String,
    pub seller_id: String,
    pub buyer_id: String,
    pub status: OrderStatus,
    /// `None` for `created`.
    pub previous_status: Option<OrderStatus>,
    pub lines: Vec<OrderLine>,
    pub total_cents: i64,
    pub origin: Origin,
    pub destination: Destination,
    pub changed_at: DateTime<Utc>,
}
