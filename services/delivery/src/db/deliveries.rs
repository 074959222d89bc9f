//! Deliveries, their products and status history, and the status worker's batch queries.

use chrono::NaiveDateTime;
use contracts::deliveries::DeliveryStatus;
use diesel::prelude::*;
use platform::db::DbConnection;

use crate::domain::DeliveryId;

use super::schema::{couriers, deliveries, delivery_history, delivery_products};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: DeliveryId,
    pub tracking_number: String,
    pub foreign_order_id: String,
    pub courier_id: i64,
    pub status: DeliveryStatus,
    pub origin_address: String,
    pub destination_name: String,
    pub destination_address: String,
    pub last_tick: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_products)]
pub struct ProductRow {
    pub delivery_id: DeliveryId,
    pub position: i32,
    pub sku: String,
    pub name: String,
    pub quantity: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = delivery_history)]
pub struct HistoryRow {
    pub status: DeliveryStatus,
    pub changed_at: NaiveDateTime,
}

/// A status change to record.
#[derive(Debug, Clone)]
pub struct StatusChange<'a> {
    pub delivery_id: &'a DeliveryId,
    pub status: DeliveryStatus,
    pub tick: Option<i64>,
    pub changed_by: &'a str,
    pub changed_at: NaiveDateTime,
}

/// A delivery with its courier's name, products and history (oldest first).
#[derive(Debug, Clone)]
pub struct Delivery {
    pub row: DeliveryRow,
    pub courier_name: String,
    pub products: Vec<ProductRow>,
    pub history: Vec<HistoryRow>,
}

/// Inserts a delivery and its products; `false` when one already exists for its
/// `foreign_order_id` (nothing is written then).
pub fn insert(
    conn: &mut DbConnection,
    row: &DeliveryRow,
    products: &[ProductRow],
) -> QueryResult<bool> {
    let inserted = match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(deliveries::table)
            .values(row)
            .on_conflict((deliveries::created_by, deliveries::foreign_order_id))
            .do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(sqlite) => diesel::insert_into(deliveries::table)
            .values(row)
            .on_conflict((deliveries::created_by, deliveries::foreign_order_id))
            .do_nothing()
            .execute(sqlite)?,
    };
    if inserted == 0 {
        return Ok(false);
    }
    for product in products {
        diesel::insert_into(delivery_products::table)
            .values(product)
            .execute(conn)?;
    }
    Ok(true)
}

#[derive(Insertable)]
#[diesel(table_name = delivery_history, treat_none_as_default_value = false)]
struct NewHistoryRow<'a> {
    delivery_id: &'a DeliveryId,
    status: DeliveryStatus,
    tick: Option<i64>,
    changed_by: &'a str,
    changed_at: NaiveDateTime,
}

/// Appends history rows; a worker tick's many rows go by COPY on PostgreSQL.
pub fn record_history(conn: &mut DbConnection, changes: &[StatusChange<'_>]) -> QueryResult<()> {
    let rows = changes.iter().map(|c| NewHistoryRow {
        delivery_id: c.delivery_id,
        status: c.status,
        tick: c.tick,
        changed_by: c.changed_by,
        changed_at: c.changed_at,
    });
    match conn {
        DbConnection::Postgres(pg) if changes.len() > 1 => {
            diesel::copy_from(delivery_history::table)
                .from_insertable(rows.collect::<Vec<_>>())
                .execute(pg)?;
        }
        _ => {
            for row in rows {
                diesel::insert_into(delivery_history::table)
                    .values(row)
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// The creator of each of `ids` that exists (delivery id, as events carry it → `created_by`).
pub fn creators(
    conn: &mut DbConnection,
    ids: &[DeliveryId],
) -> QueryResult<std::collections::HashMap<String, String>> {
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    // One statement per thousand ids (SQLite binds at most 32,766 parameters).
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(DeliveryId, String)> = deliveries::table
            .filter(deliveries::id.eq_any(chunk))
            .select((deliveries::id, deliveries::created_by))
            .load(conn)?;
        found.extend(rows.into_iter().map(|(id, by)| (id.into(), by)));
    }
    Ok(found)
}

/// How a delivery is looked up.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    Id(&'a DeliveryId),
    TrackingNumber(&'a str),
    /// A foreign order id is its creator's (see `domain::owner`).
    Order {
        owner: &'a str,
        foreign_order_id: &'a str,
    },
}

pub fn find(conn: &mut DbConnection, key: Key<'_>) -> QueryResult<Delivery> {
    let query = deliveries::table
        .inner_join(couriers::table)
        .select((DeliveryRow::as_select(), couriers::name))
        .into_boxed();
    let query = match key {
        Key::Id(id) => query.filter(deliveries::id.eq(id.to_owned())),
        Key::TrackingNumber(number) => {
            query.filter(deliveries::tracking_number.eq(number.to_owned()))
        }
        Key::Order {
            owner,
            foreign_order_id,
        } => query
            .filter(deliveries::created_by.eq(owner.to_owned()))
            .filter(deliveries::foreign_order_id.eq(foreign_order_id.to_owned())),
    };
    let (row, courier_name) = query.first(conn)?;
    let products = products_of(conn, &[&row.id])?;
    let history = delivery_history::table
        .filter(delivery_history::delivery_id.eq(&row.id))
        .order(delivery_history::id)
        .select(HistoryRow::as_select())
        .load(conn)?;
    Ok(Delivery {
        row,
        courier_name,
        products,
        history,
    })
}

/// The delivery of `foreign_order_id` of the first of `owners` that has one.
pub fn find_order(
    conn: &mut DbConnection,
    owners: &[&str],
    foreign_order_id: &str,
) -> QueryResult<Delivery> {
    for owner in owners {
        match find(
            conn,
            Key::Order {
                owner,
                foreign_order_id,
            },
        ) {
            Err(diesel::result::Error::NotFound) => continue,
            found => return found,
        }
    }
    Err(diesel::result::Error::NotFound)
}

fn products_of(conn: &mut DbConnection, ids: &[&DeliveryId]) -> QueryResult<Vec<ProductRow>> {
    delivery_products::table
        .filter(delivery_products::delivery_id.eq_any(ids))
        .order((delivery_products::delivery_id, delivery_products::position))
        .select(ProductRow::as_select())
        .load(conn)
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub courier_id: Option<i64>,
    /// Only the deliveries this owner created.
    pub created_by: Option<String>,
}

/// A page of deliveries, newest first, with their products (history is for the detail view).
pub fn list(
    conn: &mut DbConnection,
    filter: &DeliveryFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Delivery>, i64)> {
    let filtered = || {
        let mut query = deliveries::table.into_boxed();
        if let Some(status) = filter.status {
            query = query.filter(deliveries::status.eq(status));
        }
        if let Some(courier) = filter.courier_id {
            query = query.filter(deliveries::courier_id.eq(courier));
        }
        if let Some(owner) = &filter.created_by {
            query = query.filter(deliveries::created_by.eq(owner.clone()));
        }
        query
    };
    let total = filtered().count().get_result(conn)?;
    let rows: Vec<DeliveryRow> = filtered()
        // Ids are UUIDv7: their order is creation order.
        .order(deliveries::id.desc())
        .limit(limit)
        .offset(offset)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    let ids: Vec<&DeliveryId> = rows.iter().map(|r| &r.id).collect();
    let mut products = products_of(conn, &ids)?;
    let names: std::collections::HashMap<i64, String> = couriers::table
        .select((couriers::id, couriers::name))
        .load(conn)?
        .into_iter()
        .collect();
    let items = rows
        .into_iter()
        .map(|row| {
            let mine;
            (mine, products) = products.drain(..).partition(|p| p.delivery_id == row.id);
            Delivery {
                courier_name: names.get(&row.courier_id).cloned().unwrap_or_default(),
                row,
                products: mine,
                history: Vec::new(),
            }
        })
        .collect();
    Ok((items, total))
}

/// What an edit may change; absent fields stay as they are.
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = deliveries)]
pub struct DeliveryChanges {
    pub courier_id: Option<i64>,
    pub origin_address: Option<String>,
    pub destination_name: Option<String>,
    pub destination_address: Option<String>,
    pub updated_at: Option<NaiveDateTime>,
}

/// Applies `changes` if the delivery is still in `status` (a tick may have moved it since it
/// was read); returns whether it was.
pub fn update_in_status(
    conn: &mut DbConnection,
    id: &DeliveryId,
    status: DeliveryStatus,
    changes: &DeliveryChanges,
) -> QueryResult<bool> {
    diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(status)),
    )
    .set(changes)
    .execute(conn)
    .map(|n| n == 1)
}

/// Deletes a delivery still in `status`, with its products and history; returns whether it was.
pub fn delete_in_status(
    conn: &mut DbConnection,
    id: &DeliveryId,
    status: DeliveryStatus,
) -> QueryResult<bool> {
    let deleted = diesel::delete(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(status)),
    )
    .execute(conn)?;
    if deleted == 1 {
        diesel::delete(delivery_history::table.filter(delivery_history::delivery_id.eq(id)))
            .execute(conn)?;
    }
    Ok(deleted == 1)
}

/// A delivery the worker is about to move.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deliveries)]
pub struct Moving {
    pub id: DeliveryId,
    pub tracking_number: String,
    pub foreign_order_id: String,
    pub courier_id: i64,
    pub status: DeliveryStatus,
    pub created_by: String,
}

/// Up to `limit` deliveries after `after` (in id order) not delivered and not yet moved in
/// `tick`. The scan walks the primary key, so no index holds the columns a tick changes.
pub fn moving(
    conn: &mut DbConnection,
    tick: i64,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<Moving>> {
    deliveries::table
        .filter(deliveries::id.gt(after))
        .filter(deliveries::status.ne(DeliveryStatus::Delivered))
        .filter(deliveries::last_tick.lt(tick))
        .order(deliveries::id)
        .limit(limit)
        .select(Moving::as_select())
        .load(conn)
}

/// Moves those of `ids` still in `from` and not yet moved in `tick` to `to`; returns the ids
/// that moved. The conditions make a second move in one tick impossible, whoever tries it.
pub fn move_from_to(
    conn: &mut DbConnection,
    ids: &[&DeliveryId],
    from: DeliveryStatus,
    to: DeliveryStatus,
    tick: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<DeliveryId>> {
    let statement = |ids: Vec<DeliveryId>| {
        diesel::update(
            deliveries::table
                .filter(deliveries::id.eq_any(ids))
                .filter(deliveries::status.eq(from))
                .filter(deliveries::last_tick.lt(tick)),
        )
        .set((
            deliveries::status.eq(to),
            deliveries::last_tick.eq(tick),
            deliveries::updated_at.eq(now),
        ))
    };
    let owned = |ids: &[&DeliveryId]| ids.iter().map(|id| (*id).clone()).collect::<Vec<_>>();
    match conn {
        // PostgreSQL takes the ids as one array parameter (`= ANY($1)`).
        DbConnection::Postgres(pg) => statement(owned(ids))
            .returning(deliveries::id)
            .get_results(pg),
        // SQLite binds each id; chunks stay under its limit of 32,766 parameters.
        DbConnection::Sqlite(sqlite) => {
            let mut moved = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(10_000) {
                moved.extend(
                    statement(owned(chunk))
                        .returning(deliveries::id)
                        .get_results::<DeliveryId>(sqlite)?,
                );
            }
            Ok(moved)
        }
    }
}

/// Moves one delivery from `from` to `to` if it is still in `from`; returns whether it was.
pub fn move_one(
    conn: &mut DbConnection,
    id: &DeliveryId,
    from: DeliveryStatus,
    to: DeliveryStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        deliveries::table
            .find(id)
            .filter(deliveries::status.eq(from)),
    )
    .set((deliveries::status.eq(to), deliveries::updated_at.eq(now)))
    .execute(conn)
    .map(|n| n == 1)
}
