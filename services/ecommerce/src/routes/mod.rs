//! HTTP handlers only: extract, authorize, parse into domain types, call the queries, answer.

mod auth;
mod openapi;
mod orders;
mod portfolios;
mod products;
mod sellers;
mod users;

use actix_web::web;
use platform::auth::{Claims, Role};
use platform::{ApiError, FieldResult};

pub use openapi::ApiDoc;

use crate::domain::BoundedText;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(users::configure)
        .configure(sellers::configure)
        .configure(products::configure)
        .configure(portfolios::configure)
        .configure(orders::configure);
}

/// Formats a stored UTC time for responses.
fn utc(time: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    time.and_utc()
}

/// Parses an optional text field of a request: absent stays absent, present must be valid.
fn optional_text<T: BoundedText>(
    value: Option<&str>,
    field: &str,
) -> Result<Option<String>, ApiError> {
    Ok(value
        .map(T::parse)
        .transpose()
        .field(field)?
        .map(T::into_inner))
}

/// The seller a seller user acts for; every other role is refused.
fn seller_of(auth: &Claims) -> Result<String, ApiError> {
    auth.require_any(&[Role::SellerUser])?;
    auth.seller_id
        .clone()
        .ok_or_else(|| ApiError::forbidden("this seller user belongs to no seller"))
}
