//! What ecommerce tells the rest of the platform over NATS.

pub mod catalog;
