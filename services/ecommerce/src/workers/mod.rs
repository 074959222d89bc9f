//! Background work of ecommerce that is not driven by events.

pub mod idempotency_sweeper;
pub mod login_throttle_sweeper;
