//! Orders, their lines and status history; the stock moves of purchases and cancellations;
//! idempotency keys; and the per-status order statistics.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDateTime;
use contracts::deliveries::DeliveryStatus;
use contracts::orders::OrderStatus;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text, Timestamp};
use platform::db::DbConnection;

use super::schema::{
    idempotency_keys, order_lines, order_statistics, order_status_history, orders, products,
    sellers,
};
use super::{PageRequest, now};
use crate::domain::{OrderId, SellerId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct OrderRow {
    pub id: OrderId,
    pub purchase_id: String,
    pub buyer_id: String,
    pub seller_id: SellerId,
    pub status: OrderStatus,
    pub delivery_name: String,
    pub delivery_address: String,
    pub origin_address: String,
    pub total_cents: i64,
    pub tracking_number: Option<String>,
    pub delivery_status: Option<DeliveryStatus>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_lines)]
pub struct OrderLineRow {
    pub order_id: OrderId,
    pub product_id: String,
    pub sku: String,
    pub name: String,
    pub unit_price_cents: i64,
    pub quantity: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_status_history)]
pub struct StatusChange {
    pub status: OrderStatus,
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
    pub seller_id: SellerId,
    pub sku: String,
    pub name: String,
    pub price_cents: i64,
    pub warehouse_address: Option<String>,
}

pub fn buyable_by_sku(conn: &mut DbConnection, skus: &BTreeSet<&str>) -> QueryResult<Vec<Buyable>> {
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

/// Locks the products of `skus` until the transaction ends and returns their stock by
/// product id. PostgreSQL locks them in id order, so two batches never wait on each other in a
/// cycle, and `FOR NO KEY UPDATE`, which still lets rows that refer to a product (a portfolio's)
/// be written; SQLite has one writer at a time and needs no lock.
pub fn lock_stock(
    conn: &mut DbConnection,
    skus: &BTreeSet<&str>,
) -> QueryResult<BTreeMap<String, i64>> {
    let query = products::table
        .filter(products::sku.eq_any(skus))
        .order(products::id)
        .select((products::id, products::stock));
    let rows: Vec<(String, i64)> = match conn {
        DbConnection::Postgres(pg) => query.for_no_key_update().load(pg)?,
        DbConnection::Sqlite(sqlite) => query.load(sqlite)?,
    };
    Ok(rows.into_iter().collect())
}

/// Takes the units of `taken` (product id to units) from products locked by
/// [`lock_stock`], whose stock was checked against them. Should a bug take more than there
/// is, the `CHECK (stock >= 0)` fails the statement and nothing is oversold.
pub fn take_stock(conn: &mut DbConnection, taken: &BTreeMap<String, i64>) -> QueryResult<()> {
    let at = now();
    match conn {
        // One statement for the whole batch.
        DbConnection::Postgres(pg) => {
            let (ids, units): (Vec<&str>, Vec<i64>) = taken
                .iter()
                .map(|(id, units)| (id.as_str(), *units))
                .unzip();
            diesel::sql_query(
                "UPDATE products SET stock = products.stock - taken.units, updated_at = $3 \
                 FROM unnest($1::text[], $2::bigint[]) AS taken(id, units) \
                 WHERE products.id = taken.id",
            )
            .bind::<Array<Text>, _>(ids)
            .bind::<Array<BigInt>, _>(units)
            .bind::<Timestamp, _>(at)
            .execute(pg)?;
        }
        DbConnection::Sqlite(_) => {
            for (product_id, units) in taken {
                diesel::update(products::table.find(product_id))
                    .set((
                        products::stock.eq(products::stock - units),
                        products::updated_at.eq(at),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
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

/// New rows as COPY writes them.
#[derive(Insertable)]
#[diesel(table_name = orders, treat_none_as_default_value = false)]
struct NewOrder<'a> {
    id: &'a OrderId,
    purchase_id: &'a str,
    buyer_id: &'a str,
    seller_id: &'a SellerId,
    status: OrderStatus,
    delivery_name: &'a str,
    delivery_address: &'a str,
    origin_address: &'a str,
    total_cents: i64,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = order_lines, treat_none_as_default_value = false)]
struct NewLine<'a> {
    order_id: &'a OrderId,
    product_id: &'a str,
    sku: &'a str,
    name: &'a str,
    unit_price_cents: i64,
    quantity: i64,
}

#[derive(Insertable)]
#[diesel(table_name = order_status_history, treat_none_as_default_value = false)]
struct NewStatusChange<'a> {
    order_id: &'a OrderId,
    status: OrderStatus,
    changed_by: Option<&'a str>,
    changed_at: NaiveDateTime,
}

/// Inserts new orders with their lines and first history row, each changed by its buyer.
pub fn insert_new(conn: &mut DbConnection, new: &[Order]) -> QueryResult<()> {
    match conn {
        // Many orders are streamed with COPY: no statement to parse, no parameters to bind.
        DbConnection::Postgres(pg) if new.len() > 1 => {
            let history: Vec<NewStatusChange<'_>> = new
                .iter()
                .map(|order| NewStatusChange {
                    order_id: &order.row.id,
                    status: order.row.status,
                    changed_by: Some(&order.row.buyer_id),
                    changed_at: order.row.created_at,
                })
                .collect();
            let rows: Vec<NewOrder<'_>> = new
                .iter()
                .map(|Order { row, .. }| NewOrder {
                    id: &row.id,
                    purchase_id: &row.purchase_id,
                    buyer_id: &row.buyer_id,
                    seller_id: &row.seller_id,
                    status: row.status,
                    delivery_name: &row.delivery_name,
                    delivery_address: &row.delivery_address,
                    origin_address: &row.origin_address,
                    total_cents: row.total_cents,
                    created_at: row.created_at,
                    updated_at: row.updated_at,
                })
                .collect();
            let lines: Vec<NewLine<'_>> = new
                .iter()
                .flat_map(|o| &o.lines)
                .map(|line| NewLine {
                    order_id: &line.order_id,
                    product_id: &line.product_id,
                    sku: &line.sku,
                    name: &line.name,
                    unit_price_cents: line.unit_price_cents,
                    quantity: line.quantity,
                })
                .collect();
            diesel::copy_from(orders::table)
                .from_insertable(rows)
                .execute(pg)?;
            diesel::copy_from(order_lines::table)
                .from_insertable(lines)
                .execute(pg)?;
            diesel::copy_from(order_status_history::table)
                .from_insertable(history)
                .execute(pg)?;
        }
        _ => {
            for order in new {
                insert_one(conn, order)?;
            }
        }
    }
    Ok(())
}

/// One order, its lines and first history row, as statements diesel caches: the tuple form is
/// prepared once per connection, a derived struct is not.
fn insert_one(conn: &mut DbConnection, order: &Order) -> QueryResult<()> {
    let row = &order.row;
    diesel::insert_into(orders::table)
        .values((
            orders::id.eq(&row.id),
            orders::purchase_id.eq(&row.purchase_id),
            orders::buyer_id.eq(&row.buyer_id),
            orders::seller_id.eq(&row.seller_id),
            orders::status.eq(row.status),
            orders::delivery_name.eq(&row.delivery_name),
            orders::delivery_address.eq(&row.delivery_address),
            orders::origin_address.eq(&row.origin_address),
            orders::total_cents.eq(row.total_cents),
            orders::created_at.eq(row.created_at),
            orders::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    for line in &order.lines {
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
    record_status(conn, &row.id, row.status, &row.buyer_id, row.created_at)
}

/// Moves the order from `from` to `to` if it is still `from`; `false` if another change won.
pub fn set_status(
    conn: &mut DbConnection,
    id: &OrderId,
    from: OrderStatus,
    to: OrderStatus,
    changed_by: &str,
) -> QueryResult<bool> {
    let at = now();
    let updated = diesel::update(orders::table.find(id).filter(orders::status.eq(from)))
        .set((orders::status.eq(to), orders::updated_at.eq(at)))
        .execute(conn)?;
    if updated == 1 {
        record_status(conn, id, to, changed_by, at)?;
    }
    Ok(updated == 1)
}

fn record_status(
    conn: &mut DbConnection,
    id: &OrderId,
    status: OrderStatus,
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
    order_id: &OrderId,
    tracking_number: &str,
    status: DeliveryStatus,
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

pub fn find(conn: &mut DbConnection, id: &OrderId) -> QueryResult<Order> {
    let row = orders::table
        .find(id)
        .select(OrderRow::as_select())
        .first(conn)?;
    Ok(complete(conn, vec![row])?.remove(0))
}

pub fn count_of_seller(conn: &mut DbConnection, seller_id: &SellerId) -> QueryResult<i64> {
    orders::table
        .filter(orders::seller_id.eq(seller_id))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub seller_id: Option<SellerId>,
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
            query = query.filter(orders::status.eq(status));
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
    let history: Vec<(OrderId, StatusChange)> = order_status_history::table
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

/// A user's idempotency key.
pub type KeyOf = (String, String);

/// The stored request fingerprint and response of each of `keys` created after
/// `fresh_since`. Older ones have expired and are deleted here, so that their keys can be
/// stored again in this transaction.
pub fn idempotent_responses(
    conn: &mut DbConnection,
    keys: &[KeyOf],
    fresh_since: NaiveDateTime,
) -> QueryResult<HashMap<KeyOf, (String, String)>> {
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let users: BTreeSet<&str> = keys.iter().map(|(user, _)| user.as_str()).collect();
    let names: BTreeSet<&str> = keys.iter().map(|(_, key)| key.as_str()).collect();
    // Pairs outside `keys` may match the two lists; deleting them is harmless (they expired
    // too) and they are left out of the answer below.
    let matching = || {
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq_any(users.iter().copied()))
            .filter(idempotency_keys::key.eq_any(names.iter().copied()))
    };
    diesel::delete(matching().filter(idempotency_keys::created_at.lt(fresh_since)))
        .execute(conn)?;
    let rows: Vec<(String, String, String, String)> = matching()
        .select((
            idempotency_keys::user_id,
            idempotency_keys::key,
            idempotency_keys::request,
            idempotency_keys::response,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(user, key, request, response)| ((user, key), (request, response)))
        .filter(|(key, _)| keys.contains(key))
        .collect())
}

/// Deletes keys created before `cutoff`; returns how many.
pub fn delete_expired_idempotency_keys(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}

/// A response to remember under its key.
#[derive(Insertable)]
#[diesel(table_name = idempotency_keys, treat_none_as_default_value = false)]
pub struct SavedResponse<'a> {
    pub user_id: &'a str,
    pub key: &'a str,
    /// The request's fingerprint.
    pub request: &'a str,
    pub response: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn save_idempotent_responses(
    conn: &mut DbConnection,
    saved: &[SavedResponse<'_>],
) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(pg) if saved.len() > 1 => {
            diesel::copy_from(idempotency_keys::table)
                .from_insertable(saved)
                .execute(pg)?;
        }
        _ => {
            for s in saved {
                diesel::insert_into(idempotency_keys::table)
                    .values((
                        idempotency_keys::user_id.eq(s.user_id),
                        idempotency_keys::key.eq(s.key),
                        idempotency_keys::request.eq(s.request),
                        idempotency_keys::response.eq(s.response),
                        idempotency_keys::created_at.eq(s.created_at),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = order_statistics)]
pub struct StatusStatistics {
    pub status: OrderStatus,
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
    let updated = diesel::update(order_statistics::table.find(status))
        .set((
            order_statistics::orders.eq(order_statistics::orders + orders),
            order_statistics::amount_cents.eq(order_statistics::amount_cents + amount_cents),
            order_statistics::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(order_statistics::table)
            .values((
                order_statistics::status.eq(status),
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
