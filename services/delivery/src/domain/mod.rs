//! Rules of deliveries with no I/O: how a status moves, what a tracking number looks like and
//! whose a delivery is.

pub mod lifecycle;
pub mod owner;
pub mod tracking_number;
