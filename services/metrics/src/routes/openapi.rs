//! The OpenAPI document, served at `/openapi.json` with interactive docs at `/docs/`.

use platform::openapi::{BearerAuth, ProblemResponses};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Cargo Express metrics", description = "Live operations metrics from the platform's events: deliveries per courier, best-selling products, revenue, delivery outcomes, orders, timings. Operations viewers and the marketplace admin only; tokens come from the ecommerce identity provider. Errors are RFC 9457 problem details. The dashboard is at /dashboard/."),
    paths(
        super::metrics::summary, super::metrics::deliveries_per_hour, super::metrics::top_products,
        super::metrics::revenue_per_hour, super::metrics::delivery_outcomes,
        super::metrics::orders_by_status, super::metrics::dispatch_to_delivered,
        super::metrics::ingest_lag, super::live::stream, super::session::open_session,
        platform::http::healthz, platform::http::readyz, platform::http::prometheus_metrics,
    ),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "metrics", description = "Each metric over a time window, and the live stream"),
        (name = "dashboard", description = "The web dashboard's log-in"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;
