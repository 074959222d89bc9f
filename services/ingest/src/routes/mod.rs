//! HTTP handlers only: extract, authorize, parse, call the domain and the publisher, answer.

mod openapi;
mod reports;
mod seed_body;

use actix_web::web;

pub use openapi::ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(reports::configure);
}
