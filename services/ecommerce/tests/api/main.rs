//! Integration tests: each test spawns the service on a random port, with its own nats-server
//! and its own database (SQLite, or PostgreSQL when TEST_DATABASE_URL is set), and drives it
//! over HTTP.

// Panicking is how a test reports failure, helpers included: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod ally_credentials;
mod api_docs;
mod auth;
mod authorization;
mod backup_restore;
mod binary;
mod catalog_kv;
mod delivery_webhooks;
mod failed_requests;
mod helpers;
mod login_throttle;
mod operations;
mod order_events;
mod orders;
mod passwords;

mod portfolios;
mod products;
mod purchase_batches;
mod replicas;
mod republish;
mod runbook;
mod seed_002;
mod sellers;
mod startup_rules;
mod support_reports;
mod user_lifecycle;
mod validation;
