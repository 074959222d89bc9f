//! The ingest service: couriers' devices report delivered orders; each report is checked against
//! the reference data (catalog and fleet, read from NATS KV), priced from the catalog and stored
//! on JetStream before the device hears "accepted". It keeps no database. `main.rs` only loads
//! settings and calls [`startup::Application`]; `bin/courier-simulator.rs` plays seed 000's
//! report generator against it.

pub mod config;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;
pub mod state;
