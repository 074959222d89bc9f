//! The order workflows. Each runs inside one write transaction: it reads, applies the domain
//! rules, changes rows and stock, and enqueues the `orders.<status>` events, so either all of
//! it happens or none of it does.

use std::collections::BTreeMap;

use contracts::deliveries::{DeliveryStatus, DeliveryStatusChanged};
use contracts::orders::OrderStatus;
use contracts::streams::Namespace;
use platform::ApiError;
use platform::db::{DbConnection, OnMissing};
use platform::error::InvalidParam;
use platform::outbox;

use serde_json::{Map, Value, json};

use crate::db::orders::{self, Buyable, Order, OrderLineRow, OrderRow, StatusChange};

use crate::db::{new_id, now};
use crate::domain::Quantity;
use crate::domain::order_status::{Actor, TransitionError, transition};
use crate::events;

/// A validated purchase: quantities per SKU (repeated SKUs already added up), and where to deliver.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub lines: BTreeMap<String, Quantity>,
    /// Position of each SKU in the request, for naming the field at fault.
    pub positions: BTreeMap<String, usize>,
    pub delivery_name: String,
    pub delivery_address: String,
}

impl Purchase {
    /// What identifies the purchase for an idempotency key: the same key with another
    /// fingerprint is a different purchase.
    pub fn fingerprint(&self) -> String {
        let lines: BTreeMap<&str, i64> = self
            .lines
            .iter()
            .map(|(sku, q)| (sku.as_str(), q.units()))
            .collect();
        json!({"lines": lines, "delivery": [self.delivery_name, self.delivery_address]}).to_string()
    }
}

/// Places `purchase` for `buyer_id`: one order per seller, all stock taken at once or none.
pub fn place_purchase(
    conn: &mut DbConnection,
    namespace: &Namespace,
    buyer_id: &str,
    purchase: &Purchase,
) -> Result<(String, Vec<Order>), ApiError> {
    let skus: Vec<String> = purchase.lines.keys().cloned().collect();
    let products = orders::buyable_by_sku(conn, &skus)?;
    let unknown: Vec<InvalidParam> = skus
        .iter()
        .filter(|sku| !products.iter().any(|p| &p.sku == *sku))
        .map(|sku| InvalidParam {
            name: format!(
                "lines[{}].sku",
                purchase.positions.get(sku).copied().unwrap_or_default()
            ),
            reason: format!("no product has the SKU {sku:?}"),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::Invalid(unknown));
    }
    refuse_products_without_warehouse(&products)?;

    let purchase_id = new_id();
    let mut by_seller: BTreeMap<&str, Vec<&Buyable>> = BTreeMap::new();
    for product in &products {
        by_seller
            .entry(product.seller_id.as_str())
            .or_default()
            .push(product);
    }
    let mut placed = Vec::with_capacity(by_seller.len());
    for (seller_id, items) in by_seller {
        let order_id = new_id();
        let lines: Vec<OrderLineRow> = items
            .iter()
            .map(|p| OrderLineRow {
                order_id: order_id.clone(),
                product_id: p.product_id.clone(),
                sku: p.sku.clone(),
                name: p.name.clone(),
                unit_price_cents: p.price_cents,
                quantity: purchase.lines[&p.sku].units(),
            })
            .collect();
        let at = now();
        let row = OrderRow {
            id: order_id,
            purchase_id: purchase_id.clone(),
            buyer_id: buyer_id.to_owned(),
            seller_id: seller_id.to_owned(),
            status: OrderStatus::Created.as_str().to_owned(),
            delivery_name: purchase.delivery_name.clone(),
            delivery_address: purchase.delivery_address.clone(),
            origin_address: items[0].warehouse_address.clone().unwrap_or_default(),
            total_cents: lines.iter().map(|l| l.unit_price_cents * l.quantity).sum(),
            tracking_number: None,
            delivery_status: None,
            created_at: at,
            updated_at: at,
        };
        orders::insert(conn, &row, &lines, buyer_id)?;
        // Exactly what was just written; no need to read it back.
        let history = vec![StatusChange {
            status: row.status.clone(),
            changed_at: at,
        }];
        let order = Order {
            row,
            lines,
            history,
        };
        outbox::enqueue(
            conn,
            &[events::orders::status_changed(
                namespace,
                &order,
                OrderStatus::Created,
                None,
            )?],
        )?;
        placed.push(order);
    }
    // Stock last, so the row locks of popular products are held for the shortest time, and in
    // SKU order, so two purchases never wait on each other's locks in a cycle.
    take_stock(conn, &products, purchase)?;
    Ok((purchase_id, placed))
}

fn refuse_products_without_warehouse(products: &[Buyable]) -> Result<(), ApiError> {
    let unsellable: Vec<&Buyable> = products
        .iter()
        .filter(|p| p.warehouse_address.is_none())
        .collect();
    if unsellable.is_empty() {
        return Ok(());
    }
    let skus: Vec<&str> = unsellable.iter().map(|p| p.sku.as_str()).collect();
    let mut extensions = Map::new();
    extensions.insert(
        "products_without_warehouse".to_owned(),
        unsellable
            .iter()
            .map(|p| json!({"sku": p.sku, "seller_id": p.seller_id}))
            .collect::<Vec<Value>>()
            .into(),
    );
    Err(ApiError::Conflict {
        detail: format!(
            "not for sale until their seller sets a warehouse address: {}",
            skus.join(", ")
        ),
        params: Vec::new(),
        extensions,
    })
}

fn take_stock(
    conn: &mut DbConnection,
    products: &[Buyable],
    purchase: &Purchase,
) -> Result<(), ApiError> {
    let mut shortages = Vec::new();
    for (sku, quantity) in &purchase.lines {
        let Some(product) = products.iter().find(|p| &p.sku == sku) else {
            continue;
        };
        if !orders::take_stock(conn, &product.product_id, quantity.units())? {
            let available = orders::stock_of(conn, &product.product_id)?;
            shortages.push(json!({"sku": sku, "product_id": product.product_id, "requested": quantity.units(), "available": available}));
        }
    }
    if shortages.is_empty() {
        return Ok(());
    }
    let detail = shortages
        .iter()
        .map(|s| {
            format!(
                "{} (asked {}, available {})",
                s["sku"].as_str().unwrap_or_default(),
                s["requested"],
                s["available"]
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut extensions = Map::new();
    extensions.insert("shortages".to_owned(), shortages.into());
    // Returning the error rolls the whole purchase back: no order, no stock taken.
    Err(ApiError::Conflict {
        detail: format!("not enough stock: {detail}"),
        params: Vec::new(),
        extensions,
    })
}

/// Moves an order to `to` on behalf of `actor` (user `actor_id`), restoring stock on a cancel.
pub fn change_status(
    conn: &mut DbConnection,
    namespace: &Namespace,
    order_id: &str,
    to: OrderStatus,
    actor: Actor,
    actor_id: &str,
) -> Result<Order, ApiError> {
    let order = orders::find(conn, order_id)
        .on_missing(|| ApiError::not_found(format!("order {order_id}")))?;
    let from = order
        .row
        .status()
        .ok_or_else(|| anyhow::anyhow!("order {order_id} has an unknown status"))?;
    transition(from, to, actor).map_err(|error| match error {
        TransitionError::NotPermitted { .. } => ApiError::forbidden(error.to_string()),
        TransitionError::Refused { .. } => ApiError::conflict(error.to_string()),
    })?;
    // Conditional on the status just read: of two concurrent changes only one wins, so a
    // cancelled order returns its stock exactly once.
    if !orders::set_status(conn, order_id, from, to, actor_id)? {
        return Err(ApiError::conflict(format!(
            "order {order_id} changed meanwhile; read it again"
        )));
    }
    if to == OrderStatus::Cancelled {
        for line in &order.lines {
            orders::return_stock(conn, &line.product_id, line.quantity)?;
        }
    }
    let order = orders::find(conn, order_id)?;
    outbox::enqueue(
        conn,
        &[events::orders::status_changed(
            namespace,
            &order,
            to,
            Some(from),
        )?],
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
pub fn apply_delivery_status(
    conn: &mut DbConnection,
    namespace: &Namespace,
    change: &DeliveryStatusChanged,
) -> Result<DeliveryUpdate, ApiError> {
    let order = match orders::find(conn, &change.foreign_order_id) {
        Err(diesel::result::Error::NotFound) => return Ok(DeliveryUpdate::UnknownOrder),
        found => found?,
    };
    let recorded = orders::record_delivery_status(
        conn,
        &order.row.id,
        &change.tracking_number,
        change.status.as_str(),
        change.changed_at.naive_utc(),
    )?;
    if !recorded {
        return Ok(DeliveryUpdate::Stale);
    }
    let delivered = change.status == DeliveryStatus::Delivered
        && order.row.status() == Some(OrderStatus::Dispatched);
    if delivered {
        change_status(
            conn,
            namespace,
            &order.row.id,
            OrderStatus::Delivered,
            Actor::Delivery,
            DELIVERY_SERVICE,
        )?;
    }
    Ok(DeliveryUpdate::Recorded { delivered })
}
