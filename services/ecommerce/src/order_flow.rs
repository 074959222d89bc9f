//! The order workflows. Each runs inside one write transaction: it reads, applies the domain
//! rules, changes rows and stock, and enqueues the `orders.<status>` events, so either all of
//! it happens or none of it does.

use contracts::deliveries::{DeliveryStatus, DeliveryStatusChanged};
use contracts::orders::OrderStatus;
use platform::db::{DbConnection, DbError, DieselError};
use platform::outbox;

use crate::db::orders::{self, Order};
use crate::domain::OrderId;
use crate::domain::order_status::{Actor, TransitionError, transition};
use crate::events;

/// Why a status change did not happen; `routes::problems` answers each over HTTP.
#[derive(Debug, thiserror::Error)]
pub enum OrderFlowError {
    #[error("order {0} not found")]
    NotFound(OrderId),
    /// The lifecycle's rules refuse the change (`NotPermitted` is 403, `Refused` 409).
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// Another change of the same order committed between reading and writing it.
    #[error("order {0} changed meanwhile; read it again")]
    ChangedMeanwhile(OrderId),
    #[error(transparent)]
    Database(DbError),
    #[error("the order's event could not be written")]
    Event(#[from] serde_json::Error),
}

platform::database_errors!(OrderFlowError);

/// Moves an order to `to` on behalf of `actor` (user `actor_id`), restoring stock on a cancel.
#[tracing::instrument(level = "debug", skip_all,
    fields(order_id = %order_id, to = to.as_str(), trace_id = %platform::trace::current_id()))]
pub fn change_status(
    conn: &mut DbConnection,
    order_id: &OrderId,
    to: OrderStatus,
    actor: Actor,
    actor_id: &str,
) -> Result<Order, OrderFlowError> {
    let order = match orders::find(conn, order_id) {
        Err(DieselError::NotFound) => return Err(OrderFlowError::NotFound(order_id.clone())),
        found => found?,
    };
    let from = order.row.status;
    transition(from, to, actor)?;
    // Conditional on the status just read: of two concurrent changes only one wins, so a
    // cancelled order returns its stock exactly once.
    if !orders::set_status(conn, order_id, from, to, actor_id)? {
        return Err(OrderFlowError::ChangedMeanwhile(order_id.clone()));
    }
    if to == OrderStatus::Cancelled {
        // In product id order, as purchases lock them: no two writers wait in a cycle.
        let mut lines: Vec<_> = order.lines.iter().collect();
        lines.sort_by(|a, b| a.product_id.cmp(&b.product_id));
        for line in lines {
            orders::return_stock(conn, &line.product_id, line.quantity)?;
        }
    }
    let order = orders::find(conn, order_id)?;
    outbox::enqueue(
        conn,
        &[events::orders::status_changed(&order, to, Some(from))?],
    )?;
    Ok(order)
}

/// Who the order history says delivered an order.
pub const DELIVERY_SERVICE: &str = "delivery-service";

/// What a delivery status message did to its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryUpdate {
    /// No order has that id (a delivery created by hand for another system's order).
    UnknownOrder,
    /// The order already shows a later status; nothing changed.
    Stale,
    /// Tracking number and status are on the order; `delivered` when the order moved too.
    Recorded { delivered: bool },
}

/// Shows a delivery's status on its order; DELIVERED also moves a dispatched order to
/// delivered (emitting `orders.delivered`). Safe to apply twice and in any order.
#[tracing::instrument(level = "debug", skip_all,
    fields(order_id = %change.foreign_order_id, status = change.status.as_str(), trace_id = %platform::trace::current_id()))]
pub fn apply_delivery_status(
    conn: &mut DbConnection,
    change: &DeliveryStatusChanged,
) -> Result<DeliveryUpdate, OrderFlowError> {
    // Marketplace deliveries carry the order's id as their foreign order id.
    let order_id = OrderId::from(change.foreign_order_id.clone());
    let order = match orders::find(conn, &order_id) {
        Err(DieselError::NotFound) => return Ok(DeliveryUpdate::UnknownOrder),
        found => found?,
    };
    let recorded = orders::record_delivery_status(
        conn,
        &order.row.id,
        &change.tracking_number,
        change.status,
        change.changed_at.naive_utc(),
    )?;
    if !recorded {
        return Ok(DeliveryUpdate::Stale);
    }
    let delivered =
        change.status == DeliveryStatus::Delivered && order.row.status == OrderStatus::Dispatched;
    if delivered {
        change_status(
            conn,
            &order.row.id,
            OrderStatus::Delivered,
            Actor::Delivery,
            DELIVERY_SERVICE,
        )?;
    }
    Ok(DeliveryUpdate::Recorded { delivered })
}
