//! The ecommerce service: identity provider (users, roles, JWT), sellers, products and
//! portfolios of the Cargo Express marketplace, and the ally credentials and support reports of
//! seed 003. `main.rs` only loads settings and calls [`startup::Application`]; `cx-support`
//! (`bin/cx-support.rs`) is the support team's command.

pub mod accounts;
pub mod client_address;
pub mod config;
pub mod db;
pub mod delivery_link;
pub mod domain;
pub mod events;
pub mod key_rotation;
pub mod login_throttle;
pub mod order_flow;
pub mod purchases;
pub mod routes;
pub mod startup;
pub mod state;
pub mod support_tool;
pub mod user_lifecycle;
pub mod vault;
pub mod workers;
