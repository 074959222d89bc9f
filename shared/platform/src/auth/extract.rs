//! The `Authenticated` extractor: a handler that takes one is only reached with a valid token.
//! The caller it verified is also left in the request ([`Principal`]) and recorded in the
//! request's log fields, so the request's log line names who made it.

use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};

use super::{Claims, JwtVerifier, Role, TokenError};
use crate::error::ApiError;

/// Who made a request, as its log line names it: the verified caller's user id and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub role: Role,
}

/// The verified caller. Extracting it answers 401 when the bearer token is missing or bad.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Claims);

impl Deref for Authenticated {
    type Target = Claims;

    fn deref(&self) -> &Claims {
        &self.0
    }
}

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = authenticate(req);
        if let Ok(caller) = &verified {
            let principal = Principal {
                user_id: caller.sub.clone(),
                role: caller.role,
            };
            crate::http::record_principal(&principal);
            req.extensions_mut().insert(principal);
        }
        ready(verified)
    }
}

fn authenticate(req: &HttpRequest) -> Result<Authenticated, ApiError> {
    let verifier = req
        .app_data::<web::Data<JwtVerifier>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no JwtVerifier in the app data")))?;
    let header = req.headers().get(AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("send an Authorization: Bearer <token> header".to_owned())
    })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be Bearer <token>".to_owned())
        })?;
    verifier
        .verify(token)
        .map(Authenticated)
        .map_err(|error| match error {
            TokenError::Expired => {
                ApiError::Unauthorized("the token has expired; log in again".to_owned())
            }
            TokenError::Invalid(_) => ApiError::Unauthorized("the token is not valid".to_owned()),
            TokenError::Revoked(change) => ApiError::Unauthorized(change.refusal().to_owned()),
        })
}
