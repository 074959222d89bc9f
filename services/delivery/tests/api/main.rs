//! Integration tests: each test spawns the delivery service on a random port, with its own
//! nats-server and database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), verifying
//! tokens minted with the demo identity provider key, and drives it over HTTP.

// Panicking is how a test reports failure, helpers included: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod api_docs;
mod authorization;
mod courier_reports;
mod deliveries;
mod dispatched_orders;
mod helpers;
mod seed_004;
mod tracking;
mod webhooks;
mod worker;
