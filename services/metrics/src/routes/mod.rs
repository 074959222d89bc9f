//! HTTP handlers only: extract, authorize, parse, call the queries and views, answer.

mod dashboard;
mod live;
mod metrics;
mod openapi;
mod session;

use actix_web::web;
use chrono::{DateTime, Utc};
use platform::ApiError;
use platform::auth::{Claims, Role};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::window::Window;

pub use openapi::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(metrics::configure)
        .configure(live::configure)
        .configure(session::configure)
        .configure(dashboard::configure);
}

/// Operations staff watch the metrics; the marketplace admin may too.
const VIEWERS: &[Role] = &[Role::OperationsViewer, Role::MarketplaceAdmin];

fn require_viewer(caller: &Claims) -> Result<(), ApiError> {
    caller.require_any(VIEWERS)
}

/// The time window of a metric question.
#[derive(Debug, Deserialize, IntoParams)]
pub struct WindowQuery {
    /// Start (RFC 3339, inclusive); default: 24 hours before `to`.
    pub from: Option<DateTime<Utc>>,
    /// End (RFC 3339, exclusive); default: now.
    pub to: Option<DateTime<Utc>>,
}

impl WindowQuery {
    fn window(&self) -> Result<Window, ApiError> {
        Window::parse(self.from, self.to, Utc::now())
            .map_err(|refused| ApiError::invalid("from", refused.to_string()))
    }
}
