//! The ecommerce service: identity provider (users, roles, JWT), sellers, products and
//! portfolios of the Cargo Express marketplace. `main.rs` only loads settings and calls
//! [`startup::Application`].

pub mod accounts;
pub mod client_address;
pub mod config;
pub mod db;
pub mod delivery_link;
pub mod domain;
pub mod events;
pub mod login_throttle;
pub mod order_flow;

pub mod routes;
pub mod startup;
pub mod state;
pub mod workers;
