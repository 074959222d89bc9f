//! The one error type at the HTTP edge, rendered as RFC 9457 problem details.
//!
//! Policy: query functions return diesel's errors (the database door adds
//! [`crate::db::DbError`]), workflows return an error enum of their own that names each refusal
//! and keeps the database's cause, workers use `anyhow`, and only handlers speak `ApiError`:
//! each service maps its workflows' enums to problems in one module (`routes::problems`).
//! Client errors carry a detail and, for bad input, the fields at fault in `invalid-params`.
//! Internal causes are logged with their chain and answered with an opaque 500: a client never
//! sees why the server failed, only that it did.
//!
//! A contract written before this platform may fix its own status codes and members (seed
//! 003's ally API answers 400 with a `message` where the platform would answer 404 or 422):
//! [`ApiError::with_status`] and [`ApiError::with_member`] shape the answer while the problem
//! keeps its `type`, `title` and `detail`, so a client written to either contract works.
//!
//! Every problem answer carries its `type` in the response's extensions
//! ([`AnsweredProblem`]), where the request log reads it: failed requests are logged with the
//! kind of problem they got.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that failed validation: its JSON path and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InvalidParam {
    /// JSON path of the field, e.g. `price` or `lines[2].quantity`.
    pub name: String,
    /// The rule the value broke, e.g. `must not be negative`.
    pub reason: String,
}

/// RFC 9457 problem details, as sent on every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URN naming the kind of problem, e.g. `urn:cargo-express:problem:invalid-input`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(rename = "invalid-params", skip_serializing_if = "Vec::is_empty")]
    pub invalid_params: Vec<InvalidParam>,
    /// Further members particular to a problem kind (for example the products short of stock).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub extensions: Map<String, Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body is not JSON, or not the JSON this endpoint takes (400).
    #[error("malformed request: {detail}")]
    Malformed {
        detail: String,
        params: Vec<InvalidParam>,
    },
    /// Well-formed input that breaks a rule (422).
    #[error("invalid input")]
    Invalid(Vec<InvalidParam>),
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// The body is longer than the endpoint takes; `limit` is the most it takes, in bytes (413).
    #[error("the request body is larger than the limit of {limit} bytes ({} KiB)", limit / 1024)]
    PayloadTooLarge { limit: usize },
    #[error("authentication required: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// `what` names the thing, e.g. `product 0193...`.
    #[error("{0} not found")]
    NotFound(String),
    /// The path exists, but not with this method; `allowed` lists the methods it answers (405
    /// with `Allow`).
    #[error("method not allowed; this path answers {}", allowed.join(", "))]
    MethodNotAllowed { allowed: Vec<&'static str> },
    /// The request conflicts with the current state: a duplicate, a refused transition (409).
    #[error("conflict: {detail}")]
    Conflict {
        detail: String,
        params: Vec<InvalidParam>,
        extensions: Map<String, Value>,
    },
    /// The caller's `If-Match` names a version that is no longer the current one: another
    /// write came first (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// Too many attempts: the caller may try again after `retry_after_seconds` (429).
    #[error("too many requests: {detail}")]
    TooManyRequests {
        detail: String,
        retry_after_seconds: u64,
    },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// `inner` answered with a detail of its own, when the fix is not in the fields alone
    /// (ingest: a time read in the wrong zone says which setting or format puts it right).
    #[error("{inner}: {detail}")]
    Explained {
        inner: Box<ApiError>,
        detail: String,
    },
    /// `inner` answered with the status and extra members a contract fixes (see the module).
    #[error("{inner}")]
    Shaped {
        inner: Box<ApiError>,
        status: Option<StatusCode>,
        members: Map<String, Value>,
    },
}

/// The members RFC 9457 defines, which a contract's extra members never replace.
const RESERVED_MEMBERS: [&str; 6] = [
    "type",
    "title",
    "status",
    "detail",
    "instance",
    "invalid-params",
];

/// The `type` of the problem a response carries, left in its extensions for the request log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnsweredProblem(pub String);

impl ApiError {
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![InvalidParam {
            name: field.into(),
            reason: reason.into(),
        }])
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::Conflict {
            detail: detail.into(),
            params: Vec::new(),
            extensions: Map::new(),
        }
    }

    /// A duplicate value of a unique field, e.g. `sku` or `email`.
    pub fn duplicate(field: &str, value: &str) -> Self {
        Self::Conflict {
            detail: format!("{field} {value:?} is already taken"),
            params: vec![InvalidParam {
                name: field.to_owned(),
                reason: "must be unique".to_owned(),
            }],
            extensions: Map::new(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    /// The same problem answered with `status` instead of its own (seed 003: 400 for an unknown
    /// ally). The `type`, `title` and `detail` stay those of the problem.
    pub fn with_status(self, status: StatusCode) -> Self {
        match self {
            Self::Shaped { inner, members, .. } => Self::Shaped {
                inner,
                status: Some(status),
                members,
            },
            other => Self::Shaped {
                inner: Box::new(other),
                status: Some(status),
                members: Map::new(),
            },
        }
    }

    /// The same problem with one more top-level member, e.g. seed 003's `message`. The members
    /// of RFC 9457 and `invalid-params` cannot be replaced this way.
    pub fn with_member(self, name: &str, value: impl Into<Value>) -> Self {
        let (inner, status, mut members) = match self {
            Self::Shaped {
                inner,
                status,
                members,
            } => (inner, status, members),
            other => (Box::new(other), None, Map::new()),
        };
        members.insert(name.to_owned(), value.into());
        Self::Shaped {
            inner,
            status,
            members,
        }
    }

    /// The same problem, its `detail` replaced by `detail`.
    pub fn with_detail(self, detail: impl Into<String>) -> Self {
        Self::Explained {
            inner: Box::new(self),
            detail: detail.into(),
        }
    }

    /// The error under any shaping: what happened, for logs and headers.
    fn cause(&self) -> &ApiError {
        match self {
            Self::Shaped { inner, .. } | Self::Explained { inner, .. } => inner.cause(),
            other => other,
        }
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::Shaped { inner, .. } | Self::Explained { inner, .. } => inner.kind(),
            Self::Malformed { .. } => ("malformed-request", "Malformed request"),
            Self::Invalid(_) => ("invalid-input", "Invalid input"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::PayloadTooLarge { .. } => ("payload-too-large", "Payload too large"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed { .. } => ("method-not-allowed", "Method not allowed"),
            Self::Conflict { .. } => ("conflict", "Conflict"),
            Self::PreconditionFailed(_) => ("precondition-failed", "Precondition failed"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        if let Self::Explained { inner, detail } = self {
            let mut problem = inner.to_problem();
            problem.detail = detail.clone();
            return problem;
        }
        if let Self::Shaped { inner, members, .. } = self {
            let mut problem = inner.to_problem();
            problem.status = self.status_code().as_u16();
            for (name, value) in members {
                if !RESERVED_MEMBERS.contains(&name.as_str()) {
                    problem.extensions.insert(name.clone(), value.clone());
                }
            }
            return problem;
        }
        let (slug, title) = self.kind();
        let (detail, invalid_params, extensions) = match self {
            Self::Malformed { detail, params } => (detail.clone(), params.clone(), Map::new()),
            Self::Invalid(params) => {
                let fields: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
                (
                    format!("invalid value for {}", fields.join(", ")),
                    params.clone(),
                    Map::new(),
                )
            }
            Self::Conflict {
                detail,
                params,
                extensions,
            } => (detail.clone(), params.clone(), extensions.clone()),
            Self::TooManyRequests { detail, .. } => (detail.clone(), Vec::new(), Map::new()),
            // Never leak an internal cause to the client; it is logged instead.
            Self::Internal(_) => (
                "the server failed to handle the request".to_owned(),
                Vec::new(),
                Map::new(),
            ),
            other => (other.to_string(), Vec::new(), Map::new()),
        };
        Problem {
            problem_type: format!("urn:cargo-express:problem:{slug}"),
            title: title.to_owned(),
            status: self.status_code().as_u16(),
            detail,
            invalid_params,
            extensions,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Malformed { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Shaped { inner, status, .. } => status.unwrap_or_else(|| inner.status_code()),
            Self::Explained { inner, .. } => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self.cause() {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(cause) => {
                tracing::warn!(%cause, "request refused: dependency unavailable");
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        match self.cause() {
            Self::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("1")));
            }
            Self::MethodNotAllowed { allowed } => {
                response.insert_header((header::ALLOW, allowed.join(", ")));
            }
            Self::TooManyRequests {
                retry_after_seconds,
                ..
            } => {
                response
                    .insert_header((header::RETRY_AFTER, retry_after_seconds.max(&1).to_string()));
            }
            _ => {}
        }
        let problem = self.to_problem();
        let answered = AnsweredProblem(problem.problem_type.clone());
        let mut response = response.json(problem);
        response.extensions_mut().insert(answered);
        response
    }
}

/// Turns a domain parse error into a 422 naming the field: `Price::parse(v).field("price")?`.
pub trait FieldResult<T> {
    fn field(self, name: &str) -> Result<T, ApiError>;
}

impl<T, E: std::fmt::Display> FieldResult<T> for Result<T, E> {
    fn field(self, name: &str) -> Result<T, ApiError> {
        self.map_err(|e| ApiError::invalid(name, e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_input_names_the_field_and_rule() {
        let problem = ApiError::invalid("price", "must not be negative").to_problem();
        assert_eq!(problem.status, 422);
        assert_eq!(
            problem.problem_type,
            "urn:cargo-express:problem:invalid-input"
        );
        let json = serde_json::to_value(&problem).unwrap();
        assert_eq!(json["invalid-params"][0]["name"], "price");
        assert_eq!(json["invalid-params"][0]["reason"], "must not be negative");
    }

    #[test]
    fn internal_errors_hide_their_cause() {
        let problem = ApiError::Internal(anyhow::anyhow!("password=hunter2 leaked")).to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn a_body_over_the_limit_is_413_naming_the_limit() {
        let problem = ApiError::PayloadTooLarge { limit: 262_144 }.to_problem();
        assert_eq!(problem.status, 413);
        assert_eq!(
            problem.problem_type,
            "urn:cargo-express:problem:payload-too-large"
        );
        assert!(
            problem.detail.contains("262144 bytes (256 KiB)"),
            "{}",
            problem.detail
        );
    }

    #[test]
    fn too_many_requests_says_when_to_try_again() {
        let error = ApiError::TooManyRequests {
            detail: "too many failed log-ins; try again in 8 s".into(),
            retry_after_seconds: 8,
        };
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "8");
        let problem = error.to_problem();
        assert_eq!(
            problem.problem_type,
            "urn:cargo-express:problem:too-many-requests"
        );
        assert!(problem.detail.contains("8 s"));
    }

    #[test]
    fn a_shaped_problem_keeps_its_kind_with_the_contracts_status_and_members() {
        let error = ApiError::not_found("ally 42")
            .with_status(StatusCode::BAD_REQUEST)
            .with_member(
                "message",
                "The ally was not found or the request is not correct",
            )
            .with_member("status", 999);
        let response = error.error_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.extensions().get::<AnsweredProblem>(),
            Some(&AnsweredProblem(
                "urn:cargo-express:problem:not-found".to_owned()
            ))
        );
        let json = serde_json::to_value(error.to_problem()).unwrap();
        assert_eq!(json["type"], "urn:cargo-express:problem:not-found");
        assert_eq!(json["status"], 400, "a member never replaces the status");
        assert_eq!(json["detail"], "ally 42 not found");
        assert_eq!(
            json["message"],
            "The ally was not found or the request is not correct"
        );
    }

    #[test]
    fn a_shaped_internal_error_still_hides_its_cause_and_unavailable_keeps_retry_after() {
        let error = ApiError::Internal(anyhow::anyhow!("key k1 missing"))
            .with_member("message", "Server error");
        let json = serde_json::to_value(error.to_problem()).unwrap();
        assert_eq!(json["status"], 500);
        assert!(!json["detail"].as_str().unwrap().contains("k1"));
        let response = ApiError::Unavailable("pool".into())
            .with_member("message", "Server error")
            .error_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers().get(header::RETRY_AFTER).unwrap(), "1");
    }

    #[test]
    fn an_explained_problem_keeps_its_kind_status_and_fields_with_its_own_detail() {
        let error = ApiError::invalid("timestamp", "is in the future").with_detail("send a zone");
        assert_eq!(error.status_code(), StatusCode::UNPROCESSABLE_ENTITY);
        let json = serde_json::to_value(error.to_problem()).unwrap();
        assert_eq!(json["type"], "urn:cargo-express:problem:invalid-input");
        assert_eq!(json["detail"], "send a zone");
        assert_eq!(json["invalid-params"][0]["name"], "timestamp");
    }

    #[test]
    fn conflict_extensions_are_top_level_members() {
        let mut extensions = Map::new();
        extensions.insert("shortages".into(), serde_json::json!([{"sku": "pk0001"}]));
        let error = ApiError::Conflict {
            detail: "short".into(),
            params: vec![],
            extensions,
        };
        let json = serde_json::to_value(error.to_problem()).unwrap();
        assert_eq!(json["shortages"][0]["sku"], "pk0001");
        assert!(json.get("invalid-params").is_none());
    }
}
