//! HTTP handlers only: extract, authorize, parse, call the queries or flows, answer.

mod couriers;
mod deliveries;
mod openapi;
mod problems;
mod seed_spelling;
mod subscriptions;
mod tracking;

use actix_web::web;
use platform::ApiError;
use platform::auth::{Claims, Role};

pub use openapi::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(deliveries::configure)
        .configure(tracking::configure)
        .configure(couriers::configure)
        .configure(subscriptions::configure);
}

/// Formats a stored UTC time for responses.
fn utc(time: chrono::NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    time.and_utc()
}

/// Other systems (ecommerce) and the marketplace admin manage deliveries and webhooks.
const MANAGERS: &[Role] = &[Role::ServiceClient, Role::MarketplaceAdmin];

fn require_manager(auth: &Claims) -> Result<(), ApiError> {
    auth.require_any(MANAGERS)
}
