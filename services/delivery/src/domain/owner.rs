//! Who a delivery belongs to: whoever created it. A foreign order id is its creator's own, so
//! two creators may use the same id without touching each other's delivery; the marketplace's
//! deliveries come only from its `orders.dispatched` events, never from the API. A service
//! client sees and changes only its own deliveries; admins and operations staff see them all.

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

/// Whose deliveries `caller` finds by a foreign order id, in order: its own first (a client
/// tracking its orders), then the marketplace's (a buyer tracking a marketplace order).
pub fn order_owners(caller: &Claims) -> [&str; 2] {
    [of_caller(caller), MARKETPLACE]
}
