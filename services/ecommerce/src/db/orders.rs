//! Orders, their lines and status history; the stock moves of purchases and cancellations;
//! idempotency keys; and the per-status order statistics.

use chrono::NaiveDateTime;
use contracts::orders::OrderStatus;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{
    idempotency_keys, order_lines, order_statistics, order_status_history, orders, products,
    sellers,
};
use super::{PageRequest, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: String,
    pub purchase_id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub status: String,
    pub delivery_name: String,
    pub delivery_address: String,
    pub origin_address: String,
    pub total_cents: i64,
    pub tracking_number: Option<String>,
    pub delivery_status: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl OrderRow {
    /// The stored status; only statuses written from [`OrderStatus`] are ever stored.
    pub fn status(&self) -> Option<OrderStatus> {
        OrderStatus::parse(&self.status)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct OrderLineRow {
    pub order_id: String,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_status_history)]
pub struct StatusChange {
    pub status: String,
    pub changed_at: NaiveDateTime,
}

/// An order with its lines and its status history, oldest first.
#[derive(Debug, Clone)]
pub struct Order {
    pub row: OrderRow,
    pub lines: Vec<OrderLineRow>,
    pub history: Vec<StatusChange>,
}

/// A product as a purchase sees it: its price and its seller's warehouse.
#[derive(Debug, Clone, Queryable)]
pub struct Buyable {
    pub product_id: String,
    pub seller_id: String,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub warehouse_address: Option<String>,
}

pub fn buyable_by_sku(conn: &mut DbConnection, skus: &[String]) -> QueryResult<Vec<Buyable>> {
    products::table
        .inner_join(sellers::table)
        .filter(products::sku.eq_any(skus))
        .select((
            products::id,
            products::seller_id,
            products::sku,
            products::name,
            products::price_cents,
            sellers::warehouse_address,
        ))
        .load(conn)
}

/// Takes `quantity` units if that many are in stock; `false` (and nothing changes) otherwise.
/// The condition and the decrement are one statement, so concurrent purchases can never take
/// the stock below zero.
pub fn take_stock(conn: &mut DbConnection, product_id: &str, quantity: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        products::table
            .find(product_id)
            .filter(products::stock.ge(quantity)),
    )
    .set((
        products::stock.eq(products::stock - quantity),
        products::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Puts `quantity` units back (a cancelled order); a product deleted since is left alone.
pub fn return_stock(conn: &mut DbConnection, product_id: &str, quantity: i64) -> QueryResult<()> {
    diesel::update(products::table.find(product_id))
        .set((
            products::stock.eq(products::stock + quantity),
            products::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn stock_of(conn: &mut DbConnection, product_id: &str) -> QueryResult<i64> {
    products::table
        .find(product_id)
        .select(products::stock)
        .first(conn)
}

pub fn insert(
    conn: &mut DbConnection,
    row: &OrderRow,
    lines: &[OrderLineRow],
    changed_by: &str,
) -> QueryResult<()> {
    diesel::insert_into(orders::table)
        .values((
            orders::id.eq(&row.id),
            orders::purchase_id.eq(&row.purchase_id),
            orders::buyer_id.eq(&row.buyer_id),
            orders::seller_id.eq(&row.seller_id),
            orders::status.eq(&row.status),
            orders::delivery_name.eq(&row.delivery_name),
            orders::delivery_address.eq(&row.delivery_address),
            orders::origin_address.eq(&row.origin_address),
            orders::total_cents.eq(row.total_cents),
            orders::created_at.eq(row.created_at),
            orders::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    // One statement per line: the portable backend has no multi-row insert for SQLite.
    for line in lines {
        // Tuple form: diesel caches this statement as a prepared one, a derived struct it does not.
        diesel::insert_into(order_lines::table)
            .values((
                order_lines::order_id.eq(&line.order_id),
                order_lines::product_id.eq(&line.product_id),
                order_lines::sku.eq(&line.sku),
                order_lines::name.eq(&line.name),
                order_lines::unit_price_cents.eq(line.unit_price_cents),
                order_lines::quantity.eq(line.quantity),
            ))
            .execute(conn)?;
    }
    record_status(conn, &row.id, &row.status, changed_by, row.created_at)
}

/// Moves the order from `from` to `to` if it is still `from`; `false` if another change won.
pub fn set_status(
    conn: &mut DbConnection,
    id: &str,
    from: OrderStatus,
    to: OrderStatus,
    changed_by: &str,
) -> QueryResult<bool> {
    let at = now();
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::status.eq(from.as_str())),
    )
    .set((orders::status.eq(to.as_str()), orders::updated_at.eq(at)))
    .execute(conn)?;
    if updated == 1 {
        record_status(conn, id, to.as_str(), changed_by, at)?;
    }
    Ok(updated == 1)
}

fn record_status(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    changed_by: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(order_status_history::table)
        .values((
            order_status_history::order_id.eq(id),
            order_status_history::status.eq(status),
            order_status_history::changed_by.eq(changed_by),
            order_status_history::changed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Shows the delivery's tracking number and status on the order, unless the order already
/// shows a status that changed later (webhook messages may arrive out of order). Returns
/// whether the order was changed.
pub fn record_delivery_status(
    conn: &mut DbConnection,
    order_id: &str,
    tracking_number: &str,
    status: &str,
    changed_at: NaiveDateTime,
) -> QueryResult<bool> {
    let not_newer = orders::delivery_status_at
        .is_null()
        .or(orders::delivery_status_at.le(changed_at));
    let changed = diesel::update(orders::table.find(order_id).filter(not_newer))
        .set((
            orders::tracking_number.eq(tracking_number),
            orders::delivery_status.eq(status),
            orders::delivery_status_at.eq(changed_at),
            orders::updated_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Order> {
    let row = orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)?;
    Ok(complete(conn, vec![row])?.remove(0))
}

pub fn count_of_seller(conn: &mut DbConnection, seller_id: &str) -> QueryResult<i64> {
    orders::table
        .filter(orders::seller_id.eq(seller_id))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub seller_id: Option<String>,
    pub buyer_id: Option<String>,
    pub status: Option<OrderStatus>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &OrderFilter,
    page: PageRequest,
) -> QueryResult<(Vec<Order>, i64)> {
    let filtered = || {
        let mut query = orders::table.into_boxed();
        if let Some(seller_id) = &filter.seller_id {
            query = query.filter(orders::seller_id.eq(seller_id.clone()));
        }
        if let Some(buyer_id) = &filter.buyer_id {
            query = query.filter(orders::buyer_id.eq(buyer_id.clone()));
        }
        if let Some(status) = filter.status {
            query = query.filter(orders::status.eq(status.as_str()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(page.limit)
        .offset(page.offset)
        .select(OrderRow::as_select())
        .load(conn)?;
    Ok((complete(conn, rows)?, total))
}

/// Loads the lines and history of `rows` in two queries, whatever the number of orders.
fn complete(conn: &mut DbConnection, rows: Vec<OrderRow>) -> QueryResult<Vec<Order>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let lines: Vec<OrderLineRow> = order_lines::table
        .filter(order_lines::order_id.eq_any(&ids))
        .order((order_lines::order_id, order_lines::sku))
        .select(OrderLineRow::as_select())
        .load(conn)?;
    let history: Vec<(String, StatusChange)> = order_status_history::table
        .filter(order_status_history::order_id.eq_any(&ids))
        .order(order_status_history::id)
        .select((order_status_history::order_id, StatusChange::as_select()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| Order {
            lines: lines
                .iter()
                .filter(|l| l.order_id == row.id)
                .cloned()
                .collect(),
            history: history
                .iter()
                .filter(|(id, _)| *id == row.id)
                .map(|(_, change)| change.clone())
                .collect(),
            row,
        })
        .collect())
}

/// The stored request and response of an idempotency key.
/// The stored request and response of a key created after `fresh_since`; an older one has
/// expired and is deleted, so the key can be used again.
pub fn idempotent_response(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    fresh_since: NaiveDateTime,
) -> QueryResult<Option<(String, String)>> {
    diesel::delete(
        idempotency_keys::table
            .find((user_id, key))
            .filter(idempotency_keys::created_at.lt(fresh_since)),
    )
    .execute(conn)?;
    idempotency_keys::table
        .find((user_id, key))
        .select((idempotency_keys::request, idempotency_keys::response))
        .first(conn)
        .optional()
}

/// Deletes keys created before `cutoff`; returns how many.
pub fn delete_expired_idempotency_keys(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}

pub fn save_idempotent_response(
    conn: &mut DbConnection,
    user_id: &str,
    key: &str,
    request: &str,
    response: &str,
) -> QueryResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key),
            idempotency_keys::request.eq(request),
            idempotency_keys::response.eq(response),
            idempotency_keys::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_statistics)]
pub struct StatusStatistics {
    pub status: String,
    pub orders: i64,
    pub amount_cents: i64,
    pub updated_at: NaiveDateTime,
}

/// Counts `orders` more orders, of `amount_cents` in all, that reached `status`.
pub fn count_in_statistics(
    conn: &mut DbConnection,
    status: OrderStatus,
    orders: i64,
    amount_cents: i64,
) -> QueryResult<()> {
    let at = now();
    let updated = diesel::update(order_statistics::table.find(status.as_str()))
        .set((
            order_statistics::orders.eq(order_statistics::orders + orders),
            order_statistics::amount_cents.eq(order_statistics::amount_cents + amount_cents),
            order_statistics::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(order_statistics::table)
            .values((
                order_statistics::status.eq(status.as_str()),
                order_statistics::orders.eq(orders),
                order_statistics::amount_cents.eq(amount_cents),
                order_statistics::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn statistics(conn: &mut DbConnection) -> QueryResult<Vec<StatusStatistics>> {
    order_statistics::table
        .order(order_statistics::status)
        .select(StatusStatistics::as_select())
        .load(conn)
}
