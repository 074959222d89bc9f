//! Answers to metric questions: a window's rollup rows, read in one database call, turned into
//! the metric views.

use platform::db::{Db, DbError};

use crate::db::queries;
use crate::domain::views::{self, Ranking, Summary};
use crate::domain::window::Window;

/// How many products the rankings list.
pub const TOP_PRODUCTS: usize = 10;

/// Every metric over `window`.
#[tracing::instrument(level = "debug", skip_all, fields(trace_id = %platform::trace::current_id()))]
pub async fn summary(db: &Db, window: Window) -> Result<Summary, DbError> {
    // Six queries that must agree: one snapshot.
    db.read_consistent(move |conn| -> Result<Summary, DbError> {
        let names = queries::names(conn)?;
        let couriers = queries::courier_hours(conn, &window)?;
        let products = queries::product_hours(conn, &window)?;
        let outcomes = queries::outcome_hours(conn, &window)?;
        let statuses = queries::order_statuses(conn, &window)?;
        let times = queries::delivery_times(conn, &window)?;
        Ok(Summary {
            window: (&window).into(),
            deliveries_per_hour: views::deliveries_per_hour(&window, &couriers, &names),
            top_products_by_units: views::top_products(
                &window,
                &products,
                &names,
                Ranking::Units,
                TOP_PRODUCTS,
            ),
            top_products_by_revenue: views::top_products(
                &window,
                &products,
                &names,
                Ranking::Revenue,
                TOP_PRODUCTS,
            ),
            revenue_per_hour: views::revenue_per_hour(&window, &couriers),
            delivery_outcomes: views::delivery_outcomes(&window, &outcomes, &names),
            orders_by_status: views::orders_by_status(&window, &statuses),
            dispatch_to_delivered: views::dispatch_to_delivered(&window, &times),
            ingest_lag: views::ingest_lag(&window, &couriers),
        })
    })
    .await
}
