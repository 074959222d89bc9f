//! HTTP handlers only: extract, authorize, parse into domain types, call the queries, answer.

mod allies;
mod auth;
mod delivery_webhooks;
mod openapi;
mod orders;
mod portfolios;
mod problems;
mod products;
mod sellers;
mod support;
mod user_lifecycle;
mod users;

use actix_web::web;
use platform::ApiError;
use platform::auth::{Claims, Role};

use crate::domain::SellerId;
pub(crate) use platform::text::optional as optional_text;

pub use openapi::ApiDoc;
pub use orders::render_purchase;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(allies::configure)
        .configure(users::configure)
        .configure(user_lifecycle::configure)
        .configure(sellers::configure)
        .configure(products::configure)
        .configure(portfolios::configure)
        .configure(orders::configure)
        .configure(support::configure)
        .configure(delivery_webhooks::configure);
}

/// Formats a stored UTC time for responses.
fn utc(time: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    time.and_utc()
}

/// The seller a seller user acts for; every other role is refused.
fn seller_of(auth: &Claims) -> Result<SellerId, ApiError> {
    auth.require_any(&[Role::SellerUser])?;
    auth.seller_id
        .clone()
        .map(SellerId::from)
        .ok_or_else(|| ApiError::forbidden("this seller user belongs to no seller"))
}
