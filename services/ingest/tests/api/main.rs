//! Integration tests: each test spawns the ingest service on a random port with its own
//! nats-server (the reference buckets filled with seed 000's data), verifying tokens minted with
//! the demo identity provider key, and drives it over HTTP.

// Panicking is how a test reports failure, helpers included: an unwrap, or an index into JSON that
// lacks the member.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod api_docs;
mod authorization;
mod durability;
mod helpers;
mod reports;
mod seed_000;
mod validation;
