//! Integration tests: each test spawns the metrics service on a random port with its own
//! nats-server and database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), publishes
//! events as the other services would, and reads the metrics over HTTP. `platform` runs all
//! four services together, and `browser` drives the dashboard in headless Chromium.

// Panicking is how a test reports failure, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_docs;
mod arithmetic;
mod authorization;
mod browser;
mod dashboard_login;
mod helpers;
mod live;
mod platform_flow;
mod readiness;
mod security;
mod stack;
