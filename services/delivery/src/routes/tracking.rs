//! Tracking (seed 004 item 1): the current status and every status with its time, found by
//! tracking number or by the order id. Any signed-in user may track: a tracking number is what
//! a carrier gives its customers to follow a parcel. An order id is its creator's: the
//! caller's own order is found first, then the marketplace's (`domain::owner`).

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use contracts::deliveries::DeliveryStatus;
use platform::ApiError;
use platform::auth::{Authenticated, Claims};
use platform::db::OnMissing;
use platform::json::Json;
use platform::query::Query;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::deliveries::StatusChangeDto;
use super::utc;
use crate::db::deliveries::{self, Key};
use crate::domain::owner;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(track).service(track_by_body);
}

/// One of the two is needed; seed 004's spellings `trackig_number` and `foreing_order_id` are
/// accepted too.
#[derive(Debug, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[schema(example = json!({"foreign_order_id": "0193a1b2-0000-7000-8000-00000000d0c5"}))]
pub struct TrackingRequest {
    #[serde(default, alias = "trackig_number")]
    pub tracking_number: Option<String>,
    #[serde(default, alias = "foreing_order_id")]
    pub foreign_order_id: Option<String>,
}

/// Seed 004's tracking response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrackingResponse {
    pub tracking_number: String,
    /// Seed 004's spelling of `tracking_number` (the same value), for clients written from it.
    #[schema(deprecated)]
    pub trackig_number: String,
    pub foreign_order_id: String,
    /// Seed 004's spelling of `foreign_order_id` (the same value).
    #[schema(deprecated)]
    pub foreing_order_id: String,
    #[schema(value_type = String)]
    pub status: DeliveryStatus,
    /// Oldest first.
    pub tracking: Vec<StatusChangeDto>,
    pub updated_at: DateTime<Utc>,
}

/// Track a delivery by tracking number or order id
///
/// `?tracking_number=CX...` or `?foreign_order_id=...`: the status and every step with its time.
///
/// Who may call: any signed-in user; a caller finds the deliveries it created through the API,
/// and the marketplace's (a buyer tracking a marketplace order).
#[utoipa::path(tag = "tracking", security(("bearer" = [])), params(TrackingRequest),
    responses((status = 200, body = TrackingResponse), (status = 401, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[get("/tracking")]
async fn track(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<TrackingRequest>,
) -> Result<web::Json<TrackingResponse>, ApiError> {
    tracking(&state, &auth, query.into_inner()).await
}

/// Track a delivery, with seed 004's request body
///
/// The same as `GET /tracking`, for clients written from seed 004 (`trackig_number` and
/// `foreing_order_id` are accepted too).
///
/// Who may call: any signed-in user; a caller finds the deliveries it created through the API,
/// and the marketplace's (a buyer tracking a marketplace order).
#[utoipa::path(tag = "tracking", security(("bearer" = [])), request_body = TrackingRequest,
    responses((status = 200, body = TrackingResponse), (status = 401, body = platform::error::Problem),
        (status = 404, body = platform::error::Problem), (status = 422, body = platform::error::Problem)))]
#[post("/tracking")]
async fn track_by_body(
    state: web::Data<AppState>,
    auth: Authenticated,
    body: Json<TrackingRequest>,
) -> Result<web::Json<TrackingResponse>, ApiError> {
    tracking(&state, &auth, body.into_inner()).await
}

async fn tracking(
    state: &AppState,
    caller: &Claims,
    request: TrackingRequest,
) -> Result<web::Json<TrackingResponse>, ApiError> {
    let given = |v: Option<String>| v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
    let (number, order) = (
        given(request.tracking_number),
        given(request.foreign_order_id),
    );
    if number.is_none() && order.is_none() {
        return Err(ApiError::invalid(
            "tracking_number",
            "give a tracking_number or a foreign_order_id",
        ));
    }
    let owners = owner::order_owners(caller).map(str::to_owned);
    let delivery = state
        .store
        .read(move |conn| {
            let found = match (&number, &order) {
                (Some(number), _) => deliveries::find(conn, Key::TrackingNumber(number))
                    .on_missing(|| {
                        ApiError::not_found(format!("a delivery with tracking number {number}"))
                    })?,
                (None, Some(order)) => {
                    let owners = owners.each_ref().map(String::as_str);
                    deliveries::find_order(conn, &owners, order).on_missing(|| {
                        ApiError::not_found(format!("a delivery for order {order}"))
                    })?
                }
                (None, None) => unreachable!("checked above"),
            };
            // Both given: they must name the same delivery.
            if let (Some(_), Some(order)) = (&number, &order)
                && found.row.foreign_order_id != *order
            {
                return Err(ApiError::not_found(format!(
                    "a delivery with that tracking number for order {order}"
                )));
            }
            Ok(found)
        })
        .await?;
    let row = delivery.row;
    Ok(web::Json(TrackingResponse {
        trackig_number: row.tracking_number.clone(),
        tracking_number: row.tracking_number,
        foreing_order_id: row.foreign_order_id.clone(),
        foreign_order_id: row.foreign_order_id,
        status: row.status,
        tracking: delivery
            .history
            .into_iter()
            .map(StatusChangeDto::from)
            .collect(),
        updated_at: utc(row.updated_at),
    }))
}
