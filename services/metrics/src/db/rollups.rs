//! Adding a batch's totals to the rollups: one multi-row upsert per table that adds to what is
//! there, so the database does the arithmetic atomically and concurrent replicas never lose an
//! increment. A batch's totals hold each key once, as one statement may touch a row only once.

use diesel::dsl::case_when;
use diesel::prelude::*;
use diesel::upsert::excluded;
use platform::db::DbConnection;
use platform::per_backend;

use super::schema::{self, couriers, product_hourly, products};
use crate::domain::rollups::{OrderChange, OutcomeTotals, ReportTotals};

diesel::define_sql_function! {
    /// The first of its arguments that is not NULL.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>, y: diesel::sql_types::Nullable<diesel::sql_types::Timestamp>) -> diesel::sql_types::Nullable<diesel::sql_types::Timestamp>;
}

pub fn add_reports(conn: &mut DbConnection, totals: &ReportTotals) -> QueryResult<()> {
    use schema::courier_hourly::dsl::*;
    let rows: Vec<_> = totals
        .couriers
        .iter()
        .map(|((bucket, courier), add)| {
            (
                hour.eq(*bucket),
                courier_id.eq(*courier),
                reports.eq(add.reports),
                units.eq(add.units),
                revenue_cents.eq(add.revenue_cents),
                lag_ms_sum.eq(add.lag_ms_sum),
                lag_ms_max.eq(add.lag_ms_max),
            )
        })
        .collect();
    let statement = diesel::insert_into(courier_hourly)
        .values(rows)
        .on_conflict((hour, courier_id))
        .do_update()
        .set((
            reports.eq(reports + excluded(reports)),
            units.eq(units + excluded(units)),
            revenue_cents.eq(revenue_cents + excluded(revenue_cents)),
            lag_ms_sum.eq(lag_ms_sum + excluded(lag_ms_sum)),
            lag_ms_max.eq(
                case_when(excluded(lag_ms_max).gt(lag_ms_max), excluded(lag_ms_max))
                    .otherwise(lag_ms_max),
            ),
        ));
    per_backend!(conn, c => statement.execute(c))?;
    let rows: Vec<_> = totals
        .products
        .iter()
        .map(|((bucket, product), add)| {
            (
                product_hourly::hour.eq(*bucket),
                product_hourly::sku.eq(product.as_str()),
                product_hourly::units.eq(add.units),
                product_hourly::revenue_cents.eq(add.revenue_cents),
            )
        })
        .collect();
    let statement = diesel::insert_into(product_hourly::table)
        .values(rows)
        .on_conflict((product_hourly::hour, product_hourly::sku))
        .do_update()
        .set((
            product_hourly::units.eq(product_hourly::units + excluded(product_hourly::units)),
            product_hourly::revenue_cents
                .eq(product_hourly::revenue_cents + excluded(product_hourly::revenue_cents)),
        ));
    per_backend!(conn, c => statement.execute(c))?;
    let rows: Vec<_> = totals
        .courier_names
        .iter()
        .map(|(id, name)| (couriers::id.eq(*id), couriers::name.eq(name.as_str())))
        .collect();
    let statement = diesel::insert_into(couriers::table)
        .values(rows)
        .on_conflict(couriers::id)
        .do_update()
        .set(couriers::name.eq(excluded(couriers::name)));
    per_backend!(conn, c => statement.execute(c))?;
    let rows: Vec<_> = totals
        .product_names
        .iter()
        .map(|(sku, name)| {
            (
                products::sku.eq(sku.as_str()),
                products::name.eq(name.as_str()),
            )
        })
        .collect();
    let statement = diesel::insert_into(products::table)
        .values(rows)
        .on_conflict(products::sku)
        .do_update()
        .set(products::name.eq(excluded(products::name)));
    per_backend!(conn, c => statement.execute(c))?;
    Ok(())
}

pub fn add_outcomes(conn: &mut DbConnection, totals: &OutcomeTotals) -> QueryResult<()> {
    use schema::outcome_hourly::dsl::*;
    let rows: Vec<_> = totals
        .0
        .iter()
        .map(|((bucket, courier), add)| {
            (
                hour.eq(*bucket),
                courier_id.eq(*courier),
                delivered.eq(add.delivered),
                not_delivered.eq(add.not_delivered),
            )
        })
        .collect();
    let statement = diesel::insert_into(outcome_hourly)
        .values(rows)
        .on_conflict((hour, courier_id))
        .do_update()
        .set((
            delivered.eq(delivered + excluded(delivered)),
            not_delivered.eq(not_delivered + excluded(not_delivered)),
        ));
    per_backend!(conn, c => statement.execute(c))?;
    Ok(())
}

/// Records an order event: the status if it is the latest one seen (events of one order may
/// arrive late), and the milestone it marks. Applying one event twice changes nothing.
pub fn apply_order_change(conn: &mut DbConnection, change: &OrderChange) -> QueryResult<()> {
    use schema::orders::dsl::*;
    let newer = excluded(status_changed_at).ge(status_changed_at);
    let statement = diesel::insert_into(orders)
        .values((
            order_id.eq(&change.order_id),
            status.eq(change.status.as_str()),
            status_changed_at.eq(change.changed_at),
            created_at.eq(change.created_at),
            dispatched_at.eq(change.dispatched_at),
            delivered_at.eq(change.delivered_at),
        ))
        .on_conflict(order_id)
        .do_update()
        .set((
            status.eq(case_when(newer, excluded(status)).otherwise(status)),
            status_changed_at
                .eq(case_when(newer, excluded(status_changed_at)).otherwise(status_changed_at)),
            created_at.eq(coalesce(created_at, excluded(created_at))),
            dispatched_at.eq(coalesce(excluded(dispatched_at), dispatched_at)),
            delivered_at.eq(coalesce(excluded(delivered_at), delivered_at)),
        ));
    per_backend!(conn, c => statement.execute(c))?;
    Ok(())
}
