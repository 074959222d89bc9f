//! The metrics service: consumers of the order, delivery and courier-report streams keep hourly
//! rollups in its own database; a JSON API answers each metric over a time window, a live stream
//! pushes changes, and a web dashboard with log-in shows them. `main.rs` only loads settings
//! and calls [`startup::Application`].

pub mod config;
pub mod db;
pub mod domain;
pub mod events;
pub mod reading;
pub mod routes;
pub mod startup;
pub mod state;
