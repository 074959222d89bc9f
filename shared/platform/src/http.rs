//! HTTP pieces every service mounts: health and readiness, Prometheus metrics, request ids in
//! logs and responses, and problem-JSON answers for unknown routes and bad paths or queries.
//!
//! Each failed request is logged as one line when it ends (its root span closing; a successful
//! one only at DEBUG, see [`crate::telemetry::QuietSuccesses`]), carrying what a support
//! engineer needs to find failed requests and who they hit (seed 003 §4, read back by
//! ecommerce's `cx-support failed-requests`): method, route, status, latency, request
//! and trace ids, the caller ([`fields::PRINCIPAL`]: a user id and role, or `anonymous`), the ally
//! of an ally route (a `{allyId}` path parameter, as seed 003's API names it) and, on failures,
//! the problem type answered. They are fields of the root span, filled in as they become known
//! (the caller by the `Authenticated` extractor), so every line of the request carries them.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder, TracingLogger};
use utoipa::ToSchema;

use crate::auth::Principal;
use crate::db::Db;
use crate::error::{AnsweredProblem, ApiError, InvalidParam};
use crate::nats::Nats;
use crate::trace::{self, TraceContext};

/// The request logging middleware: tracing-actix-web's root span, with the W3C trace id.
pub type RequestTracing = TracingLogger<TracedRootSpan>;

/// Builds each request's root span as tracing-actix-web does, recording in its `trace_id`
/// field the caller's trace (`traceparent`) or a new one; the trace is also left in the
/// request's extensions for [`observe_request`] to make it current.
pub struct TracedRootSpan;

impl RootSpanBuilder for TracedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let traceparent = request
            .headers()
            .get(trace::TRACEPARENT)
            .and_then(|value| value.to_str().ok());
        let trace = TraceContext::continue_or_start(traceparent);
        // The names are those of [`fields`]; the macro needs them written out.
        let span = tracing_actix_web::root_span!(
            request,
            principal = Empty,
            principal_role = Empty,
            ally_id = Empty,
            problem_type = Empty,
            latency_ms = Empty
        );
        span.record("trace_id", trace.trace_id());
        request.extensions_mut().insert(trace);
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Names of the request log's fields, beside tracing-actix-web's own (`http.method`,
/// `http.route`, `http.target`, `http.status_code`, `request_id`) and the `trace_id`.
pub mod fields {
    /// The caller's user id, or [`ANONYMOUS`] for a request without a valid token.
    pub const PRINCIPAL: &str = "principal";
    /// The caller's role (`support`, `marketplace_admin`...); absent for anonymous requests.
    pub const PRINCIPAL_ROLE: &str = "principal_role";
    /// The ally (seller) an ally route served: its `{allyId}` path parameter.
    pub const ALLY_ID: &str = "ally_id";
    /// The `type` of the problem answered, on failures.
    pub const PROBLEM_TYPE: &str = "problem_type";
    /// Time from the request's arrival to its answer, in milliseconds.
    pub const LATENCY_MS: &str = "latency_ms";
    /// The value of [`PRINCIPAL`] for a caller without a valid token.
    pub const ANONYMOUS: &str = "anonymous";
    /// The path parameter that names an ally in a route (`/allies/{allyId}/credentials`).
    pub const ALLY_PATH_PARAMETER: &str = "allyId";
}

/// Records the verified caller in the current request's log fields (the `Authenticated`
/// extractor calls this as soon as the token is verified).
pub fn record_principal(principal: &Principal) {
    let span = Span::current();
    span.record(fields::PRINCIPAL, principal.user_id.as_str());
    span.record(fields::PRINCIPAL_ROLE, principal.role.as_str());
}

/// The Prometheus recorder of this process, installed on first use.
pub fn metrics_handle() -> anyhow::Result<PrometheusHandle> {
    // Installed exactly once per process, however many services a test process builds.
    static HANDLE: OnceLock<Result<PrometheusHandle, String>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                ])
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|e| format!("installing the Prometheus recorder: {e}"))
        })
        .clone()
        .map_err(anyhow::Error::msg)
}

/// Middleware: counts and times every request by route pattern, runs it in its trace, fills in
/// the request log's forensic fields, and echoes the request id (the one in every log line of
/// the request) as `x-request-id`.
pub async fn observe_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // The request's root span: this middleware runs inside it (see `server::start`).
    let span = Span::current();
    let method = req.method().to_string();
    let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let trace = req
        .extensions()
        .get::<TraceContext>()
        .cloned()
        .unwrap_or_else(TraceContext::new_root);
    let mut response = trace::scope(trace, next.call(req)).await?;
    let route = response
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    let elapsed = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(elapsed);
    record_forensics(&span, &response, elapsed);
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-request-id"), id);
    }
    Ok(response)
}

/// Fills in the request log's fields that are known once the answer is: the caller (or
/// `anonymous`), the ally of an ally route, the problem type and the latency.
fn record_forensics<B>(span: &Span, response: &ServiceResponse<B>, elapsed_seconds: f64) {
    let request = response.request();
    match request.extensions().get::<Principal>() {
        Some(principal) => {
            span.record(fields::PRINCIPAL, principal.user_id.as_str());
            span.record(fields::PRINCIPAL_ROLE, principal.role.as_str());
        }
        None => {
            span.record(fields::PRINCIPAL, fields::ANONYMOUS);
        }
    }
    if let Some(ally) = request.match_info().get(fields::ALLY_PATH_PARAMETER) {
        span.record(fields::ALLY_ID, ally);
    }
    if let Some(AnsweredProblem(problem_type)) = response.response().extensions().get() {
        span.record(fields::PROBLEM_TYPE, problem_type.as_str());
    }
    // Microseconds are enough and keep the line short.
    let latency_ms = (elapsed_seconds * 1e6).round() / 1e3;
    span.record(fields::LATENCY_MS, latency_ms);
}

/// Mounts `/healthz`, `/readyz` and `/metrics`, and answers bad paths and queries with problems.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PathConfig::default().error_handler(|error, _| {
        ApiError::Invalid(vec![InvalidParam {
            name: "path".to_owned(),
            reason: error.to_string(),
        }])
        .into()
    }))
    .app_data(web::QueryConfig::default().error_handler(|error, req| {
        crate::query::query_error(req.query_string(), &error.to_string()).into()
    }))
    .route("/healthz", web::get().to(healthz))
    .route("/readyz", web::get().to(readyz))
    .route("/metrics", web::get().to(prometheus_metrics));
}

/// The app's default service: unknown routes get a problem, not an empty 404, and a path that
/// the OpenAPI document lists with other methods gets 405 with `Allow`
/// ([`crate::openapi::RouteMethods`], in the app data).
pub async fn not_found(req: actix_web::HttpRequest) -> HttpResponse {
    let allowed = req
        .app_data::<web::Data<crate::openapi::RouteMethods>>()
        .map(|routes| routes.allowed(req.path()))
        .unwrap_or_default();
    if !allowed.is_empty() && !allowed.contains(&req.method().as_str()) {
        return ApiError::MethodNotAllowed { allowed }.error_response();
    }
    ApiError::not_found(format!("route {} {}", req.method(), req.path())).error_response()
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`, or `unavailable` for a dependency that did not answer.
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// `none` for a service without a database.
    pub database: &'static str,
    pub nats: &'static str,
    /// Start-up steps not done yet (streams, consumers, reference data), e.g.
    /// `consumer metrics-orders`; empty once the service can take work.
    pub waiting_for: Vec<String>,
    /// What the service found lost on NATS and made again since it started, the latest ten,
    /// each with its time: `2026-12-07T10:00:02Z stream ORDERS was missing: recreated`.
    pub recovered: Vec<String>,
}

/// Alive: the process answers HTTP
///
/// For a liveness probe: it checks nothing else.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Ready: the service can take work
///
/// The database (if the service has one) answers, NATS is connected and every start-up step on
/// NATS is done (streams created, consumers attached, reference data loaded); 503 names what
/// is missing.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(db: Option<web::Data<Db>>, nats: web::Data<Nats>) -> HttpResponse {
    let database = match db {
        None => "none",
        Some(db) if db.ping().await.is_ok() => "ok",
        Some(_) => "unavailable",
    };
    let waiting_for = nats.readiness().waiting_for();
    let recovered = nats.readiness().recovered();
    let nats = if nats.is_connected() {
        "ok"
    } else {
        "unavailable"
    };
    let ready = database != "unavailable" && nats == "ok" && waiting_for.is_empty();
    let body = Readiness {
        status: if ready { "ok" } else { "unavailable" },
        database,
        nats,
        waiting_for,
        recovered,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// This process's metrics for Prometheus (text exposition format)
///
/// Request counts and latencies by route and status, and the service's own counters.
///
/// Who may call: anyone; no token needed.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, content_type = "text/plain")))]
pub async fn prometheus_metrics() -> Result<HttpResponse, ApiError> {
    let handle = metrics_handle()?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(handle.render()))
}
