//! Integration tests: each test spawns the metrics service on a random port with its own
//! nats-server and database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), publishes
//! events as the other services would, and reads the metrics over HTTP. The tests that run all
//! four services together (the dashboard in headless Chromium among them) are in tests/e2e.

// Panicking is how a test reports failure, helpers included: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod api_docs;
mod arithmetic;
mod authorization;
mod helpers;
mod live;
mod readiness;
mod security;
