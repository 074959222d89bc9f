//! `orders.<status>` events, written to the outbox in the transaction of each status change.

use chrono::Utc;
use contracts::CloudEvent;
use contracts::orders::{
    self, Destination, ORDER_STATUS_CHANGED, OrderLine, OrderStatus, OrderStatusChanged, Origin,
};
use platform::outbox::OutboxMessage;

use crate::db::orders::Order;

/// Where ecommerce's events say they come from.
pub const SOURCE: &str = "/cargo-express/ecommerce";

/// The event announcing that `order` (as it now is) reached `status` from `previous`.
pub fn status_changed(
    order: &Order,
    status: OrderStatus,
    previous: Option<OrderStatus>,
) -> Result<OutboxMessage, serde_json::Error> {
    let row = &order.row;
    let data = OrderStatusChanged {
        order_id: row.id.to_string(),
        purchase_id: row.purchase_id.clone(),
        seller_id: row.seller_id.to_string(),
        buyer_id: row.buyer_id.clone(),
        status,
        previous_status: previous,
        lines: order
            .lines
            .iter()
            .map(|l| OrderLine {
                product_id: l.product_id.clone(),
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price_cents: l.unit_price_cents,
            })
            .collect(),
        total_cents: row.total_cents,
        origin: Origin {
            address: row.origin_address.clone(),
        },
        destination: Destination {
            name: row.delivery_name.clone(),
            address: row.delivery_address.clone(),
        },
        changed_at: Utc::now(),
    };
    let event = CloudEvent::new(SOURCE, ORDER_STATUS_CHANGED, row.id.clone(), data);
    OutboxMessage::event(orders::subject(status), event)
}
