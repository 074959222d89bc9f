//! Rules of deliveries with no I/O: how a status moves and what a tracking number looks like.

pub mod lifecycle;
pub mod tracking_number;
