//! `POST /dashboard/session`: the dashboard's log-in. The email and password go to the identity
//! provider; the token comes back only if its holder may watch the dashboard.

use actix_web::{post, web};
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

/// Log in to the dashboard (operations viewer or marketplace admin).
#[utoipa::path(tag = "dashboard", request_body = Credentials,
    responses((status = 200, body = Session), (status = 401, body = platform::error::Problem),
        (status = 403, body = platform::error::Problem), (status = 503, body = platform::error::Problem)))]
#[post("/dashboard/session")]
async fn open_session(
    state: web::Data<AppState>,
    verifier: web::Data<JwtVerifier>,
    body: Json<Credentials>,
) -> Result<web::Json<Session>, ApiError> {
    let unavailable = |e: reqwest::Error| {
        ApiError::Unavailable(format!("the identity provider did not answer: {e}"))
    };
    let response = state
        .http
        .post(&state.login_url)
        .json(&body.0)
        .send()
        .await
        .map_err(unavailable)?;
    match response.status().as_u16() {
        200 => {}
        400 | 401 | 422 => {
            return Err(ApiError::Unauthorized(
                "the email or the password is wrong".to_owned(),
            ));
        }
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
