//! Adding a batch's totals to the rollups: one upsert per key that adds to what is there, so
//! the database does the arithmetic atomically and concurrent replicas never lose an increment.

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
    for ((bucket, courier), add) in &totals.couriers {
        let statement = diesel::insert_into(courier_hourly)
            .values((
                hour.eq(bucket),
                courier_id.eq(courier),
                reports.eq(add.reports),
                units.eq(add.units),
                revenue_cents.eq(add.revenue_cents),
                lag_ms_sum.eq(add.lag_ms_sum),
                lag_ms_max.eq(add.lag_ms_max),
            ))
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
    }
    for ((bucket, product), add) in &totals.products {
        use product_hourly::dsl as p;
        let statement = diesel::insert_into(p::product_hourly)
            .values((
                p::hour.eq(bucket),
                p::sku.eq(product),
                p::units.eq(add.units),
                p::revenue_cents.eq(add.revenue_cents),
            ))
            .on_conflict((p::hour, p::sku))
            .do_update()
            .set((
                p::units.eq(p::units + excluded(p::units)),
                p::revenue_cents.eq(p::revenue_cents + excluded(p::revenue_cents)),
            ));
        per_backend!(conn, c => statement.execute(c))?;
    }
    for (id, name) in &totals.courier_names {
        let statement = diesel::insert_into(couriers::table)
            .values((couriers::id.eq(id), couriers::name.eq(name)))
            .on_conflict(couriers::id)
            .do_update()
            .set(couriers::name.eq(excluded(couriers::name)));
        per_backend!(conn, c => statement.execute(c))?;
    }
    for (sku, name) in &totals.product_names {
        let statement = diesel::insert_into(products::table)
            .values((products::sku.eq(sku), products::name.eq(name)))
            .on_conflict(products::sku)
            .do_update()
            .set(products::name.eq(excluded(products::name)));
        per_backend!(conn, c => statement.execute(c))?;
    }
    Ok(())
}

pub fn add_outcomes(conn: &mut DbConnection, totals: &OutcomeTotals) -> QueryResult<()> {
    use schema::outcome_hourly::dsl::*;
    for ((bucket, courier), add) in &totals.0 {
        let statement = diesel::insert_into(outcome_hourly)
            .values((
                hour.eq(bucket),
                courier_id.eq(courier),
                delivered.eq(add.delivered),
                not_delivered.eq(add.not_delivered),
            ))
            .on_conflict((hour, courier_id))
            .do_update()
            .set((
                delivered.eq(delivered + excluded(delivered)),
                not_delivered.eq(not_delivered + excluded(not_delivered)),
            ));
        per_backend!(conn, c => statement.execute(c))?;
    }
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
