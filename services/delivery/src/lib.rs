//! The delivery service: deliveries of ecommerce orders with their tracking history, the
//! courier fleet, the status worker, and webhooks to subscribers. `main.rs` only loads
//! settings and calls [`startup::Application`].

pub mod config;
pub mod db;
pub mod delivery_flow;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;
pub mod state;
pub mod webhooks;
pub mod worker;
