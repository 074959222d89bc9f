//! `GET /v1/metrics/...`: each metric over a time window, and all of them at once.

use actix_web::{get, web};
use platform::ApiError;
use platform::auth::Authenticated;
use platform::db::DbConnection;
use platform::query::Query;
use serde::Deserialize;
use utoipa::IntoParams;

use super::{WindowQuery, require_viewer};
use crate::db::queries;
use crate::domain::views::{self, Ranking};
use crate::domain::window::Window;
use crate::reading;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(summary)
        .service(deliveries_per_hour)
        .service(top_products)
        .service(revenue_per_hour)
        .service(delivery_outcomes)
        .service(orders_by_status)
        .service(dispatch_to_delivered)
        .service(ingest_lag);
}

/// Lets a viewer ask: checks the window, then answers what `read` makes of it.
async fn answer<T: Send + 'static>(
    state: &AppState,
    caller: &Authenticated,
    query: &WindowQuery,
    read: impl FnOnce(&mut DbConnection, Window) -> Result<T, ApiError> + Send + 'static,
) -> Result<web::Json<T>, ApiError> {
    require_viewer(caller)?;
    let window = query.window()?;
    Ok(web::Json(
        state
            .db
            .read_consistent(move |conn| read(conn, window))
            .await?,
    ))
}

/// Every metric over a time window, as the dashboard shows them
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::Summary), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/summary")]
async fn summary(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::Summary>, ApiError> {
    require_viewer(&caller)?;
    Ok(web::Json(
        reading::summary(&state.db, query.window()?).await?,
    ))
}

/// Reported deliveries per hour per courier, with each courier's total
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::DeliveriesPerHour), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/deliveries-per-hour")]
async fn deliveries_per_hour(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::DeliveriesPerHour>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let names = queries::names(conn)?;
        let rows = queries::courier_hours(conn, &window)?;
        Ok(views::deliveries_per_hour(&window, &rows, &names))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct RankingQuery {
    /// `units` (default) or `revenue`.
    #[serde(default)]
    pub by: Ranking,
    /// How many products, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<usize>,
}

/// The best-selling products by units or by revenue (catalog prices)
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery, RankingQuery),
    responses((status = 200, body = views::TopProducts), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/top-products")]
async fn top_products(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
    ranking: Query<RankingQuery>,
) -> Result<web::Json<views::TopProducts>, ApiError> {
    // Who asks is checked before what is asked.
    require_viewer(&caller)?;
    let limit = ranking.limit.unwrap_or(reading::TOP_PRODUCTS);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let by = ranking.by;
    answer(&state, &caller, &query, move |conn, window| {
        let names = queries::names(conn)?;
        let rows = queries::product_hours(conn, &window)?;
        Ok(views::top_products(&window, &rows, &names, by, limit))
    })
    .await
}

/// Reported revenue per hour (catalog prices)
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::RevenuePerHour), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/revenue-per-hour")]
async fn revenue_per_hour(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::RevenuePerHour>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let rows = queries::courier_hours(conn, &window)?;
        Ok(views::revenue_per_hour(&window, &rows))
    })
    .await
}

/// DELIVERED versus NOT_DELIVERED delivery attempts per courier
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::DeliveryOutcomes), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/delivery-outcomes")]
async fn delivery_outcomes(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::DeliveryOutcomes>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let names = queries::names(conn)?;
        let rows = queries::outcome_hours(conn, &window)?;
        Ok(views::delivery_outcomes(&window, &rows, &names))
    })
    .await
}

/// Orders created in the window, by their current status
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::OrdersByStatus), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/orders-by-status")]
async fn orders_by_status(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::OrdersByStatus>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let counts = queries::order_statuses(conn, &window)?;
        Ok(views::orders_by_status(&window, &counts))
    })
    .await
}

/// Average time from dispatch to delivered of the orders delivered in the window
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::DispatchToDelivered), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/dispatch-to-delivered")]
async fn dispatch_to_delivered(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::DispatchToDelivered>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let times = queries::delivery_times(conn, &window)?;
        Ok(views::dispatch_to_delivered(&window, &times))
    })
    .await
}

/// Time from a report's delivery on the device to its acceptance by ingest
///
/// Who may call: `operations_viewer`, `marketplace_admin`.
#[utoipa::path(tag = "metrics", security(("bearer" = [])), params(WindowQuery),
    responses((status = 200, body = views::IngestLag), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/v1/metrics/ingest-lag")]
async fn ingest_lag(
    state: web::Data<AppState>,
    caller: Authenticated,
    query: Query<WindowQuery>,
) -> Result<web::Json<views::IngestLag>, ApiError> {
    answer(&state, &caller, &query, move |conn, window| {
        let rows = queries::courier_hours(conn, &window)?;
        Ok(views::ingest_lag(&window, &rows))
    })
    .await
}
