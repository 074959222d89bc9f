//! `POST /dashboard/session`: the dashboard's log-in. The email and password go to the identity
//! provider; the token comes back only if its holder may watch the dashboard.
//!
//! To the identity provider this service is a proxy: it appends its caller's address to
//! `X-Forwarded-For`, so the log-in throttle counts the person, not this service (ecommerce
//! believes the header from its trusted proxies only), and it passes the throttle's 429 and
//! `Retry-After` on to the caller.

use actix_web::http::header::RETRY_AFTER;
use actix_web::{HttpRequest, post, web};
use platform::ApiError;
use platform::auth::JwtVerifier;
use platform::json::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::require_viewer;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(open_session);
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ops@cargoexpress.test", "password": "ops-demo-2026"}))]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    pub access_token: String,
    /// Seconds until the session ends; the dashboard then asks to log in again.
    pub expires_in: i64,
    pub email: String,
    pub role: String,
}

#[derive(Deserialize)]
struct IssuedToken {
    access_token: String,
    expires_in: i64,
}

/// Log in to the dashboard
///
/// The credentials go to ecommerce's log-in; only operations viewers and the marketplace admin get
/// a session (403 for other roles). The example is the demo operations viewer.
///
/// Who may call: anyone; no token needed (the account must be an `operations_viewer` or the
/// `marketplace_admin`).
#[utoipa::path(tag = "dashboard", request_body = Credentials,
    responses((status = 200, body = Session), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem),
        (status = 429, body = platform::error::Problem, description = "Too many failed log-ins; the identity provider's answer",
            headers(("Retry-After" = u64, description = "Seconds until log-ins are checked again"))),
        (status = 503, body = platform::error::Problem)))]
#[post("/dashboard/session")]
async fn open_session(
    state: web::Data<AppState>,
    verifier: web::Data<JwtVerifier>,
    request: HttpRequest,
    body: Json<Credentials>,
) -> Result<web::Json<Session>, ApiError> {
    let unavailable = |e: reqwest::Error| {
        ApiError::Unavailable(format!("the identity provider did not answer: {e}"))
    };
    let mut login = state.http.post(&state.login_url).json(&body.0);
    if let Some(forwarded_for) = forwarded_for(&request) {
        login = login.header("x-forwarded-for", forwarded_for);
    }
    let response = login.send().await.map_err(unavailable)?;
    match response.status().as_u16() {
        200 => {}
        400 | 401 | 422 => {
            return Err(ApiError::Unauthorized(
                "the email or the password is wrong".to_owned(),
            ));
        }
        403 => {
            return Err(ApiError::forbidden(
                "this account is disabled; an administrator can enable it",
            ));
        }
        429 => return Err(throttled(response).await),
        status => {
            return Err(ApiError::Unavailable(format!(
                "the identity provider answered {status}"
            )));
        }
    }
    let issued: IssuedToken = response.json().await.map_err(unavailable)?;
    let claims = verifier
        .verify(&issued.access_token)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("the issued token did not verify: {e}")))?;
    require_viewer(&claims)
        .map_err(|_| ApiError::forbidden("this account may not open the operations dashboard"))?;
    Ok(web::Json(Session {
        access_token: issued.access_token,
        expires_in: issued.expires_in,
        email: claims.email,
        role: claims.role.as_str().to_owned(),
    }))
}

/// `X-Forwarded-For` as received, with the caller's address appended; `None` without a peer.
fn forwarded_for(request: &HttpRequest) -> Option<String> {
    let peer = request.peer_addr()?.ip().to_canonical();
    let received: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|value| value.to_str().ok())
        .collect();
    Some(match received.as_slice() {
        [] => peer.to_string(),
        lines => format!("{}, {peer}", lines.join(", ")),
    })
}

/// The identity provider's 429, passed on with its `Retry-After` and detail.
async fn throttled(response: reqwest::Response) -> ApiError {
    let retry_after_seconds = response
        .headers()
        .get(RETRY_AFTER.as_str())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(1);
    let detail = response
        .json::<serde_json::Value>()
        .await
        .ok()
        .and_then(|problem| problem.get("detail")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "too many failed log-ins; try again later".to_owned());
    ApiError::TooManyRequests {
        detail,
        retry_after_seconds,
    }
}
