//! HTTP handlers only: extract, authorize, parse, call the domain and the publisher, answer.

mod openapi;
mod reports;
mod seed_body;

use actix_web::web;

use crate::events::reports::PublishError;

pub use openapi::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(reports::configure);
}

/// The publisher's errors over HTTP: the one place they become a status code.
impl From<PublishError> for platform::ApiError {
    fn from(error: PublishError) -> Self {
        match error {
            PublishError::Unavailable(_) => Self::Unavailable(error.to_string()),
            PublishError::Serialize(_) => Self::Internal(error.into()),
        }
    }
}
