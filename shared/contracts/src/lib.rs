//! The platform's message contracts, kept in one place so that a reader finds every stream,
//! subject, KV bucket and event payload of Cargo Express here.
//!
//! Payloads are versioned by their CloudEvents `type` (`co.cargoexpress.<thing>.<event>.v1`): a
//! breaking change gets a new type, and consumers ignore types they do not know.

#[macro_use]
mod status;

pub mod catalog;
pub mod cloudevent;
pub mod courier_reports;
pub mod couriers;
pub mod deliveries;
pub mod notices;
pub mod orders;
pub mod permissions;
#[cfg(feature = "diesel")]
mod sql;
pub mod streams;
pub mod user_access;

pub use cloudevent::CloudEvent;
