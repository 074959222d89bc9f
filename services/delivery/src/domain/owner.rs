//! Who a delivery belongs to: whoever created it. A foreign order id is its creator's own, so
//! two creators may use the same id without touching each other's delivery; the marketplace's
//! deliveries come only from its `orders.dispatched` events, never from the API. A service
//! client sees and changes only its own deliveries; admins and operations staff see them all.
//! Webhook subscriptions follow the same line: a subscription hears about its owner's
//! deliveries only, the marketplace's going to ecommerce's receiver.

use contracts::deliveries::MARKETPLACE_SUBSCRIBER;
use platform::auth::{Claims, Role};

/// The owner of the marketplace's deliveries, made from `orders.dispatched` events.
pub const MARKETPLACE: &str = "orders.dispatched";

/// Whether a delivery created by `created_by` carries a marketplace order.
pub fn is_marketplace(created_by: &str) -> bool {
    created_by == MARKETPLACE
}

/// The owner of what `caller` creates through the API.
pub fn of_caller(caller: &Claims) -> &str {
    &caller.sub
}

/// Whether `caller` may see or change a delivery created by `created_by` (its role allowing).
pub fn may_touch(caller: &Claims, created_by: &str) -> bool {
    caller.role != Role::ServiceClient || created_by == of_caller(caller)
}

/// Whose subscriptions hear about a delivery created by `created_by`: the owner's (a token's
/// subject). The marketplace's deliveries are heard by ecommerce's receiver, which subscribes
/// as [`MARKETPLACE_SUBSCRIBER`]; an administrator's subscription for every client's
/// deliveries hears them all.
pub fn audience_of(created_by: &str) -> &str {
    if is_marketplace(created_by) {
        MARKETPLACE_SUBSCRIBER
    } else {
        created_by
    }
}

/// Whose deliveries `caller` finds by a foreign order id, in order: its own first (a client
/// tracking its orders), then the marketplace's (a buyer tracking a marketplace order).
pub fn order_owners(caller: &Claims) -> [&str; 2] {
    [of_caller(caller), MARKETPLACE]
}
