//! The courier fleet (seed 000's ten couriers are the migration's seed data).

use std::collections::HashMap;

use contracts::couriers::Courier;
use contracts::deliveries::DeliveryStatus;
use diesel::dsl::count_star;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{couriers, deliveries};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = couriers)]
pub struct CourierRow {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

impl From<CourierRow> for Courier {
    fn from(row: CourierRow) -> Self {
        Courier {
            id: row.id,
            name: row.name,
            active: row.active,
        }
    }
}

pub fn all(conn: &mut DbConnection) -> QueryResult<Vec<CourierRow>> {
    couriers::table
        .order(couriers::id)
        .select(CourierRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<CourierRow> {
    couriers::table
        .find(id)
        .select(CourierRow::as_select())
        .first(conn)
}

/// The active courier with the fewest deliveries still on the way (lowest id on a tie), so
/// work spreads evenly over the fleet; `None` when no courier is active.
pub fn least_loaded(conn: &mut DbConnection) -> QueryResult<Option<CourierRow>> {
    let active = couriers::table
        .filter(couriers::active.eq(true))
        .order(couriers::id)
        .select(CourierRow::as_select())
        .load(conn)?;
    let loads: HashMap<i64, i64> = deliveries::table
        .filter(deliveries::status.ne(DeliveryStatus::Delivered))
        .group_by(deliveries::courier_id)
        .select((deliveries::courier_id, count_star()))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(active
        .into_iter()
        .min_by_key(|c| (loads.get(&c.id).copied().unwrap_or(0), c.id)))
}
