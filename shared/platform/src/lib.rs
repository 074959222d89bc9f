//! What every Cargo Express service stands on: layered settings, JSON telemetry, RFC 9457
//! problem errors, JWT auth, the diesel database door, NATS with JetStream, the transactional
//! outbox and the task supervisor that runs a service's HTTP server and workers side by side.

pub mod auth;
pub mod consumer;
pub mod db;
pub mod error;
pub mod http;
pub mod http_client;
pub mod json;
pub mod kv_cache;
pub mod landing;
pub mod lifecycle;
pub mod nats;
pub mod openapi;
pub mod outbox;
pub mod pagination;
pub mod query;
pub mod readiness;
pub mod server;
pub mod settings;
pub mod telemetry;
pub mod text;
pub mod trace;
pub mod wakeup;
pub mod webhook_signature;

pub use error::{ApiError, FieldResult};
