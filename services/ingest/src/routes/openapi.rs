//! The OpenAPI document, served at `/openapi.json` with interactive docs at `/docs/`.

use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cargo Express ingest", description = "Couriers' devices report delivered orders. Every report needs a courier's token from the ecommerce identity provider; a report is answered only once JetStream has stored it. Errors are RFC 9457 problem details."),
    paths(
        super::reports::register_delivered_order, super::reports::create_report,
        super::reports::create_reports,
        platform::http::healthz, platform::http::readyz, platform::http::prometheus_metrics,
    ),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "reports", description = "Delivered-order reports from couriers (seed 000)"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;
