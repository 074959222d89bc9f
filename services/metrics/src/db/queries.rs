//! Reading the rollups of a window. The hourly rows of a window are few (hours × couriers or
//! products), so they are summed in Rust (`domain::views`) rather than by dialect-specific SQL.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use platform::db::DbConnection;

use super::schema::{courier_hourly, couriers, orders, outcome_hourly, product_hourly, products};
use crate::domain::window::Window;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = courier_hourly)]
pub struct CourierHourRow {
    pub hour: NaiveDateTime,
    pub courier_id: i64,
    pub reports: i64,
    pub units: i64,
    pub revenue_cents: i64,
    pub lag_ms_sum: i64,
    pub lag_ms_max: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = product_hourly)]
pub struct ProductHourRow {
    pub hour: NaiveDateTime,
    pub sku: String,
    pub units: i64,
    pub revenue_cents: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outcome_hourly)]
pub struct OutcomeHourRow {
    pub hour: NaiveDateTime,
    pub courier_id: i64,
    pub delivered: i64,
    pub not_delivered: i64,
}

/// Display names of couriers and products.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub couriers: HashMap<i64, String>,
    pub products: HashMap<String, String>,
}

impl Names {
    pub fn courier(&self, id: i64) -> String {
        self.couriers
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("Courier {id}"))
    }

    pub fn product(&self, sku: &str) -> String {
        self.products
            .get(sku)
            .cloned()
            .unwrap_or_else(|| sku.to_owned())
    }
}

pub fn courier_hours(conn: &mut DbConnection, window: &Window) -> QueryResult<Vec<CourierHourRow>> {
    courier_hourly::table
        .filter(courier_hourly::hour.ge(window.first_hour()))
        .filter(courier_hourly::hour.lt(window.end()))
        .order((courier_hourly::hour, courier_hourly::courier_id))
        .select(CourierHourRow::as_select())
        .load(conn)
}

pub fn product_hours(conn: &mut DbConnection, window: &Window) -> QueryResult<Vec<ProductHourRow>> {
    product_hourly::table
        .filter(product_hourly::hour.ge(window.first_hour()))
        .filter(product_hourly::hour.lt(window.end()))
        .select(ProductHourRow::as_select())
        .load(conn)
}

pub fn outcome_hours(conn: &mut DbConnection, window: &Window) -> QueryResult<Vec<OutcomeHourRow>> {
    outcome_hourly::table
        .filter(outcome_hourly::hour.ge(window.first_hour()))
        .filter(outcome_hourly::hour.lt(window.end()))
        .select(OutcomeHourRow::as_select())
        .load(conn)
}

/// Orders created in the window, counted by their current status.
pub fn order_statuses(conn: &mut DbConnection, window: &Window) -> QueryResult<Vec<(String, i64)>> {
    orders::table
        .filter(orders::created_at.ge(window.start()))
        .filter(orders::created_at.lt(window.end()))
        .group_by(orders::status)
        .select((orders::status, diesel::dsl::count_star()))
        .load(conn)
}

/// (dispatched, delivered) times of the orders delivered in the window.
pub fn delivery_times(
    conn: &mut DbConnection,
    window: &Window,
) -> QueryResult<Vec<(NaiveDateTime, NaiveDateTime)>> {
    let rows: Vec<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = orders::table
        .filter(orders::delivered_at.ge(window.start()))
        .filter(orders::delivered_at.lt(window.end()))
        .filter(orders::dispatched_at.is_not_null())
        .select((orders::dispatched_at, orders::delivered_at))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(dispatched, delivered)| Some((dispatched?, delivered?)))
        .collect())
}

pub fn names(conn: &mut DbConnection) -> QueryResult<Names> {
    Ok(Names {
        couriers: couriers::table
            .select((couriers::id, couriers::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect(),
        products: products::table
            .select((products::sku, products::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect(),
    })
}
