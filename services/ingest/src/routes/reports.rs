//! `POST /registrar_pedido_entregado` (seed 000's generator, as it sends), `POST /v1/reports`
//! (explicit quantities) and `POST /v1/reports/batch` (a device back online).

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::auth::{Authenticated, Role};
use platform::error::InvalidParam;
use platform::json::{Json, JsonBody};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::seed_body;
use crate::domain::report::{Dialect, Item, Submission};
use crate::events::reports;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register_delivered_order)
        .service(create_report)
        .service(create_reports);
}

/// Seed 000's report. Other fields are ignored, among them the device's `Nombre`, `producto`
/// and `precio`: the fleet and the catalog are authoritative, not the device. This describes
/// the body in the OpenAPI document; the handler reads a body of another shape field by field
/// ([`seed_body`]) so that every field at fault is named at once.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
#[schema(example = seed_report_example)]
pub struct SeedReport {
    /// A UUID the device chose; resending the same one never counts twice.
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub pedido_id: String,
    pub repartidor: SeedCourier,
    /// One entry per unit: a product listed three times is three units.
    #[schema(min_items = 1)]
    pub productos: Vec<SeedProduct>,
    /// Local time (`reports.local_utc_offset`, America/Bogota by default), e.g.
    /// `2026-11-23 08:10:11.123456`; an RFC 3339 time with an offset is read as such.
    pub timestamp: String,
    /// The delivery this report closes, if the device knows it.
    pub tracking_number: Option<String>,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SeedCourier {
    /// Must be the caller's own courier id.
    #[serde(rename = "IdRepartidor")]
    pub id: i64,
}

#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub struct SeedProduct {
    /// A catalog SKU, e.g. `pk0001`.
    #[serde(rename = "IdProducto")]
    pub id: String,
}

/// A report with explicit quantities.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = report_example)]
pub struct ReportRequest {
    /// A UUID the device chose; resending the same one never counts twice.
    #[schema(
        pattern = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
    )]
    pub report_id: String,
    /// Defaults to the caller's courier; another courier's id is refused.
    pub courier_id: Option<i64>,
    #[schema(min_items = 1)]
    pub lines: Vec<LineRequest>,
    /// RFC 3339 (`2026-11-23T08:10:11-05:00`); a time without offset is read as local time.
    pub delivered_at: String,
    pub tracking_number: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineRequest {
    pub sku: String,
    #[schema(minimum = 1)]
    pub quantity: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = batch_example)]
pub struct BatchRequest {
    #[schema(min_items = 1)]
    pub reports: Vec<ReportRequest>,
}

/// The examples of the API page: reports by courier 101 of seed products, delivered when the
/// document was built (the service's start), so that "Try it out" sends a report the service
/// takes for the next 7 days (older reports are refused). Their ids are fixed: a second send is a
/// duplicate, stored once.
fn seed_report_example() -> serde_json::Value {
    // Bogotá's local time, as the seed's devices write it (UTC−05:00 all year).
    let now = Utc::now() - chrono::TimeDelta::hours(5);
    serde_json::json!({
        "pedido_id": "0f3b2a8e-6c1d-4e7a-9b5f-2d4c6e8a0b1c",
        "repartidor": {"IdRepartidor": 101, "Nombre": "María López"},
        "productos": [{"IdProducto": "pk0001"}, {"IdProducto": "pk0001"}, {"IdProducto": "pk0004"}],
        "timestamp": now.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
    })
}

fn report_example() -> serde_json::Value {
    report_example_with_id("5a7c9e1b-3d5f-4a8c-9e2b-4f6a8c0e2d4b")
}

fn report_example_with_id(id: &str) -> serde_json::Value {
    serde_json::json!({
        "report_id": id,
        "courier_id": 101,
        "lines": [{"sku": "pk0001", "quantity": 2}, {"sku": "pk0003", "quantity": 1}],
        "delivered_at": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    })
}

fn batch_example() -> serde_json::Value {
    serde_json::json!({"reports": [
        report_example_with_id("7e1f3a5c-9b2d-4e6f-8a0c-1b3d5f7a9c2e"),
        report_example_with_id("2c4e6a8b-0d1f-4b3a-8c5e-7f9a1b3c5d6e"),
    ]})
}

/// What a stored report became.
#[derive(Debug, Serialize, ToSchema)]
pub struct Receipt {
    pub report_id: String,
    /// `true` when this report had been stored already (a retry): it counts once.
    pub duplicate: bool,
    pub units: i64,
    /// Priced from the catalog.
    pub total_cents: i64,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeedReceipt {
    /// Always `accepted`.
    pub status: &'static str,
    pub pedido_id: String,
    pub duplicate: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BatchReceipt {
    pub reports: Vec<Receipt>,
}

/// Report a delivered order in seed 000's format
///
/// Answers 200 once JetStream has stored it; a report sent again (same `pedido_id`) is stored once.
/// A product listed twice is two units; the catalog sets the prices. The example's time is when the
/// service started: reports over 7 days old are refused.
///
/// Who may call: `courier` (reporting as itself: the report's courier id is the token's).
#[utoipa::path(tag = "reports", security(("bearer" = [])), request_body = SeedReport,
    responses((status = 200, body = SeedReceipt), (status = 400, body = platform::error::Problem),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem), (status = 503, body = platform::error::Problem)))]
#[post("/registrar_pedido_entregado")]
async fn register_delivered_order(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonBody,
) -> Result<web::Json<SeedReceipt>, ApiError> {
    let submission = seed_body::parse(&body.0, caller.courier_id.unwrap_or_default())?;
    let receipt = store(&state, &caller, vec![submission], false)
        .await?
        .remove(0);
    Ok(web::Json(SeedReceipt {
        status: "accepted",
        pedido_id: receipt.report_id,
        duplicate: receipt.duplicate,
    }))
}

/// Report a delivered order (versioned API)
///
/// 201 once stored, 200 when it was stored already. Products carry quantities; an optional tracking
/// number lets the delivery service mark that delivery delivered. Reports over 7 days old are
/// refused.
///
/// Who may call: `courier` (reporting as itself).
#[utoipa::path(tag = "reports", security(("bearer" = [])), request_body = ReportRequest,
    responses((status = 201, body = Receipt), (status = 200, body = Receipt),
        (status = 400, body = platform::error::Problem), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 422, body = platform::error::Problem),
        (status = 503, body = platform::error::Problem)))]
#[post("/v1/reports")]
async fn create_report(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: Json<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    let submission = v1_submission(&caller, body.into_inner());
    let receipt = store(&state, &caller, vec![submission], false)
        .await?
        .remove(0);
    Ok(if receipt.duplicate {
        HttpResponse::Ok().json(receipt)
    } else {
        HttpResponse::Created().json(receipt)
    })
}

/// Report several delivered orders at once (a device back online)
///
/// All are checked before any is stored: one invalid report refuses the batch, naming
/// `reports[i].<field>`.
///
/// Who may call: `courier` (reporting as itself).
#[utoipa::path(tag = "reports", security(("bearer" = [])), request_body = BatchRequest,
    responses((status = 200, body = BatchReceipt), (status = 400, body = platform::error::Problem),
        (status = 401, body = platform::error::Problem), (status = 403, body = platform::error::Problem),
        (status = 422, body = platform::error::Problem), (status = 503, body = platform::error::Problem)))]
#[post("/v1/reports/batch")]
async fn create_reports(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: Json<BatchRequest>,
) -> Result<web::Json<BatchReceipt>, ApiError> {
    let reports = body.into_inner().reports;
    if reports.is_empty() || reports.len() > state.limits.max_batch {
        return Err(ApiError::invalid(
            "reports",
            format!("must hold 1 to {} reports", state.limits.max_batch),
        ));
    }
    let submissions = reports
        .into_iter()
        .map(|report| v1_submission(&caller, report))
        .collect();
    let reports = store(&state, &caller, submissions, true).await?;
    Ok(web::Json(BatchReceipt { reports }))
}

fn v1_submission(caller: &Authenticated, report: ReportRequest) -> Submission {
    Submission {
        dialect: Dialect::V1,
        report_id: report.report_id,
        // A token without a courier id is refused in `store`, whatever this says.
        courier_id: report.courier_id.or(caller.courier_id).unwrap_or_default(),
        items: report
            .lines
            .into_iter()
            .map(|line| Item {
                sku: line.sku,
                quantity: line.quantity,
            })
            .collect(),
        delivered_at: report.delivered_at,
        tracking_number: report.tracking_number,
        unreadable: vec![],
    }
}

/// Checks that the caller is the courier of every submission, checks and prices each, and
/// publishes them all; answers only once JetStream has stored every one.
async fn store(
    state: &AppState,
    caller: &Authenticated,
    submissions: Vec<Submission>,
    batch: bool,
) -> Result<Vec<Receipt>, ApiError> {
    caller.require_any(&[Role::Courier])?;
    let courier_id = caller
        .courier_id
        .ok_or_else(|| ApiError::forbidden("this courier account has no courier id"))?;
    let prefix = |index: usize| {
        if batch {
            format!("reports[{index}].")
        } else {
            String::new()
        }
    };
    if let Some((index, other)) = submissions
        .iter()
        .enumerate()
        .find(|(_, s)| s.courier_id != courier_id)
    {
        return Err(ApiError::forbidden(format!(
            "{}{}: a courier reports only as itself (you are courier {courier_id}, not {})",
            prefix(index),
            other.dialect.courier(),
            other.courier_id
        )));
    }
    if !state.reference.is_loaded() {
        return Err(ApiError::Unavailable(
            "the catalog and the fleet are still loading".to_owned(),
        ));
    }
    let now = Utc::now();
    let mut accepted = Vec::with_capacity(submissions.len());
    let mut invalid = Vec::new();
    let mut advice = None;
    for (index, submission) in submissions.iter().enumerate() {
        match submission.accept(&state.reference, &state.limits, now) {
            Ok(report) => accepted.push(report),
            Err(refusal) => {
                invalid.extend(refusal.faults.into_iter().map(|e| InvalidParam {
                    name: format!("{}{}", prefix(index), e.name),
                    reason: e.reason,
                }));
                advice = advice.or(refusal.advice);
            }
        }
    }
    if !invalid.is_empty() {
        let error = ApiError::Invalid(invalid);
        return Err(match advice {
            Some(advice) => {
                let detail = error.to_problem().detail;
                error.with_detail(format!("{detail}. {advice}"))
            }
            None => error,
        });
    }
    let receipts: Vec<Receipt> = accepted
        .iter()
        .map(|a| Receipt {
            report_id: a.report.report_id.clone(),
            duplicate: false,
            units: a.report.units,
            total_cents: a.report.total_cents,
            received_at: a.report.received_at,
        })
        .collect();
    let duplicates = reports::publish(&state.nats, accepted).await?;
    Ok(receipts
        .into_iter()
        .zip(duplicates)
        .map(|(receipt, duplicate)| Receipt {
            duplicate,
            ..receipt
        })
        .collect())
}
