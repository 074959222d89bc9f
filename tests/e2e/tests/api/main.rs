//! End-to-end tests: several services started together on one nats-server, each with its own
//! database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), following one story across
//! them over HTTP. `stack` runs all four as `scripts/up` does; `browser` drives the dashboard in
//! headless Chromium. A service's own tests (services/*/tests/api) never start another service.

// Panicking is how a test reports failure, helpers included: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod api_docs;
mod browser;
mod dashboard_login;
mod ecommerce_and_delivery;
mod platform_flow;
mod republish;
mod stack;
mod user_access;
