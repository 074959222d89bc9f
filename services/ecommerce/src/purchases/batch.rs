//! One batch of purchases in one write transaction.
//!
//! The products of the whole batch are locked first (PostgreSQL, in product id order, so two
//! batches never wait on each other in a cycle), and only then are the idempotency keys read:
//! a retry whose first attempt is in a batch committing meanwhile waits for that batch on the
//! same products' locks, and then finds its key. Each purchase is decided in the order it
//! arrived against the stock its predecessors left: a purchase with an unknown SKU, a product
//! without a warehouse or too little stock gets its own error and writes nothing, and the
//! others go through. What the accepted ones write is written in a few statements for the
//! whole batch: their orders, lines, history rows, `orders.created` events, idempotency keys
//! and one stock update. Should a statement fail anyway, the caller writes each purchase on
//! its own, so that one bad purchase cannot fail its neighbours.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use contracts::orders::OrderStatus;
use diesel::QueryResult;
use platform::db::DbConnection;
use platform::outbox::{self, OutboxMessage};

use super::{Checkout, Placed, PurchaseError, Shortage, UnknownSku, Unshippable};
use crate::db::orders::{
    self, Buyable, KeyOf, Order, OrderLineRow, OrderRow, SavedResponse, StatusChange,
};
use crate::db::{new_id, now};
use crate::domain::{OrderId, SellerId};
use crate::events;

/// Renders the answer to a placed purchase (its id and orders): it is stored with the
/// purchase's idempotency key in the same transaction.
pub type Render = fn(&str, &[Order]) -> Result<String, serde_json::Error>;

/// Places every purchase of `requests` that can be placed; answers each in order. A request
/// whose key was used after `fresh_since` (in an earlier transaction or earlier in this
/// batch) gets the first answer back, or [`PurchaseError::KeyReused`] when that answered a
/// different purchase. Fails as a whole only when a statement fails.
pub fn place_all(
    conn: &mut DbConnection,
    fresh_since: NaiveDateTime,
    requests: &[Checkout],
    render: Render,
) -> QueryResult<Vec<Result<Placed, PurchaseError>>> {
    let skus: BTreeSet<&str> = requests
        .iter()
        .flat_map(|r| r.purchase.lines.keys().map(String::as_str))
        .collect();
    let mut stock = orders::lock_stock(conn, &skus)?;
    let keys: Vec<KeyOf> = requests.iter().filter_map(key_of).collect();
    let mut answered = orders::idempotent_responses(conn, &keys, fresh_since)?;
    let products: BTreeMap<String, Buyable> = orders::buyable_by_sku(conn, &skus)?
        .into_iter()
        .map(|product| (product.sku.clone(), product))
        .collect();

    let mut batch = Writes::default();
    let mut answers = Vec::with_capacity(requests.len());
    for request in requests {
        let key = key_of(request);
        let fingerprint = request.purchase.fingerprint();
        if let Some((first, body)) = key.as_ref().and_then(|key| answered.get(key)) {
            answers.push(if *first == fingerprint {
                Ok(Placed::Replayed(body.clone()))
            } else {
                Err(PurchaseError::KeyReused)
            });
            continue;
        }
        match place(request, &products, &stock, render) {
            Ok(placement) => {
                for (product_id, units) in &placement.taken {
                    if let Some(left) = stock.get_mut(product_id) {
                        *left -= units;
                    }
                    *batch.taken.entry(product_id.clone()).or_default() += units;
                }
                if let Some(key) = key {
                    answered.insert(key.clone(), (fingerprint.clone(), placement.body.clone()));
                    batch.saved.push((key, fingerprint, placement.body.clone()));
                }
                batch.orders.extend(placement.orders);
                batch.events.extend(placement.events);
                answers.push(Ok(Placed::Fresh(placement.body)));
            }
            Err(refused) => answers.push(Err(refused)),
        }
    }
    batch.write(conn)?;
    Ok(answers)
}

fn key_of(request: &Checkout) -> Option<KeyOf> {
    let key = request.key.as_ref()?;
    Some((request.buyer_id.clone(), key.clone()))
}

/// What the accepted purchases of a batch write.
#[derive(Default)]
struct Writes {
    orders: Vec<Order>,
    events: Vec<OutboxMessage>,
    /// Product id to units, in id order.
    taken: BTreeMap<String, i64>,
    /// Key, request fingerprint and answer.
    saved: Vec<(KeyOf, String, String)>,
}

impl Writes {
    fn write(&mut self, conn: &mut DbConnection) -> QueryResult<()> {
        if self.orders.is_empty() {
            return Ok(());
        }
        orders::insert_new(conn, &self.orders)?;
        outbox::enqueue(conn, &self.events)?;
        let at = now();
        // In key order, so two batches storing the same keys never wait on each other in a cycle.
        self.saved.sort_by(|a, b| a.0.cmp(&b.0));
        let saved: Vec<SavedResponse<'_>> = self
            .saved
            .iter()
            .map(|((user_id, key), request, response)| SavedResponse {
                user_id,
                key,
                request,
                response,
                created_at: at,
            })
            .collect();
        orders::save_idempotent_responses(conn, &saved)?;
        orders::take_stock(conn, &self.taken)
    }
}

/// An accepted purchase: its orders, their events, the answer and the stock it takes.
struct Placement {
    orders: Vec<Order>,
    events: Vec<OutboxMessage>,
    body: String,
    taken: Vec<(String, i64)>,
}

/// Decides one purchase against the stock left by those before it: one order per seller, all
/// lines or none.
fn place(
    request: &Checkout,
    products: &BTreeMap<String, Buyable>,
    stock: &BTreeMap<String, i64>,
    render: Render,
) -> Result<Placement, PurchaseError> {
    let purchase = &request.purchase;
    // Each product with the units asked of it.
    let mut chosen: Vec<(&Buyable, i64)> = Vec::with_capacity(purchase.lines.len());
    let mut unknown = Vec::new();
    for (sku, quantity) in &purchase.lines {
        match products.get(sku) {
            Some(product) => chosen.push((product, quantity.units())),
            None => unknown.push(UnknownSku {
                sku: sku.clone(),
                line: purchase.positions.get(sku).copied().unwrap_or_default(),
            }),
        }
    }
    if !unknown.is_empty() {
        return Err(PurchaseError::UnknownSkus(unknown));
    }
    refuse_products_without_warehouse(&chosen)?;
    refuse_shortages(&chosen, stock)?;
    let taken: Vec<(String, i64)> = chosen
        .iter()
        .map(|(product, units)| (product.product_id.clone(), *units))
        .collect();

    let purchase_id = new_id();
    let mut by_seller: BTreeMap<&SellerId, Vec<(&Buyable, i64)>> = BTreeMap::new();
    for (product, units) in chosen {
        by_seller
            .entry(&product.seller_id)
            .or_default()
            .push((product, units));
    }
    let at = now();
    let orders: Vec<Order> = by_seller
        .into_iter()
        .map(|(seller_id, items)| {
            let order_id = OrderId::generate();
            let lines: Vec<OrderLineRow> = items
                .iter()
                .map(|(p, units)| OrderLineRow {
                    order_id: order_id.clone(),
                    product_id: p.product_id.clone(),
                    sku: p.sku.clone(),
                    name: p.name.clone(),
                    unit_price_cents: p.price_cents,
                    quantity: *units,
                })
                .collect();
            let row = OrderRow {
                id: order_id,
                purchase_id: purchase_id.clone(),
                buyer_id: request.buyer_id.clone(),
                seller_id: seller_id.clone(),
                status: OrderStatus::Created,
                delivery_name: purchase.delivery_name.clone(),
                delivery_address: purchase.delivery_address.clone(),
                // A seller's products ship from its one warehouse (a product without one was
                // refused above).
                origin_address: items
                    .first()
                    .and_then(|(p, _)| p.warehouse_address.clone())
                    .unwrap_or_default(),
                total_cents: lines.iter().map(|l| l.unit_price_cents * l.quantity).sum(),
                tracking_number: None,
                delivery_status: None,
                created_at: at,
                updated_at: at,
            };
            // Exactly what is written; no need to read it back.
            let history = vec![StatusChange {
                status: row.status,
                changed_at: at,
            }];
            Order {
                row,
                lines,
                history,
            }
        })
        .collect();
    // Written by the batch, outside the request: the events continue the request's trace.
    let events = platform::trace::with(request.trace.clone(), || {
        orders
            .iter()
            .map(|order| events::orders::status_changed(order, OrderStatus::Created, None))
            .collect::<Result<_, _>>()
    })?;
    let body = render(&purchase_id, &orders)?;
    Ok(Placement {
        orders,
        events,
        body,
        taken,
    })
}

fn refuse_products_without_warehouse(chosen: &[(&Buyable, i64)]) -> Result<(), PurchaseError> {
    let unshippable: Vec<Unshippable> = chosen
        .iter()
        .filter(|(p, _)| p.warehouse_address.is_none())
        .map(|(p, _)| Unshippable {
            sku: p.sku.clone(),
            seller_id: p.seller_id.clone(),
        })
        .collect();
    if unshippable.is_empty() {
        Ok(())
    } else {
        Err(PurchaseError::WithoutWarehouse(unshippable))
    }
}

/// Refuses the whole purchase when any product has less stock left than it asks for, naming
/// each such product with what it asked and what is available.
fn refuse_shortages(
    chosen: &[(&Buyable, i64)],
    stock: &BTreeMap<String, i64>,
) -> Result<(), PurchaseError> {
    let shortages: Vec<Shortage> = chosen
        .iter()
        .filter_map(|(product, units)| {
            let available = stock.get(&product.product_id).copied().unwrap_or(0);
            (available < *units).then(|| Shortage {
                sku: product.sku.clone(),
                product_id: product.product_id.clone(),
                requested: *units,
                available,
            })
        })
        .collect();
    if shortages.is_empty() {
        Ok(())
    } else {
        Err(PurchaseError::ShortOfStock(shortages))
    }
}
