//! The courier fleet (seed 000), readable by any signed-in user.

use actix_web::{get, web};
use contracts::couriers::Courier;
use platform::ApiError;
use platform::auth::Authenticated;
use platform::db::OnMissing;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::couriers;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_couriers).service(get_courier);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CourierResponse {
    pub id: i64,
    pub name: String,
    pub active: bool,
}

impl From<Courier> for CourierResponse {
    fn from(c: Courier) -> Self {
        Self {
            id: c.id,
            name: c.name,
            active: c.active,
        }
    }
}

/// List the courier fleet (seed 000's couriers 101 to 110)
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "couriers", security(("bearer" = [])),
    responses((status = 200, body = Vec<CourierResponse>), (status = 401, body = platform::error::Problem)))]
#[get("/couriers")]
async fn list_couriers(
    state: web::Data<AppState>,
    _auth: Authenticated,
) -> Result<web::Json<Vec<CourierResponse>>, ApiError> {
    let fleet = state.store.read(|conn| Ok(couriers::all(conn)?)).await?;
    Ok(web::Json(
        fleet
            .into_iter()
            .map(|row| Courier::from(row).into())
            .collect(),
    ))
}

/// One courier by id
///
/// Who may call: any signed-in user.
#[utoipa::path(tag = "couriers", security(("bearer" = [])), params(("id" = i64, Path, description = "Courier id (101-110 in the seed fleet)")),
    responses((status = 200, body = CourierResponse), (status = 404, body = platform::error::Problem)))]
#[get("/couriers/{id}")]
async fn get_courier(
    state: web::Data<AppState>,
    _auth: Authenticated,
    id: web::Path<i64>,
) -> Result<web::Json<CourierResponse>, ApiError> {
    let id = id.into_inner();
    let row = state
        .store
        .read(move |conn| {
            couriers::find(conn, id).on_missing(|| ApiError::not_found(format!("courier {id}")))
        })
        .await?;
    Ok(web::Json(Courier::from(row).into()))
}
