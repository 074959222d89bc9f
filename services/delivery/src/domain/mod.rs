//! Rules of deliveries with no I/O: how a status moves, what a tracking number looks like and
//! whose a delivery is.

mod delivery_id;
pub mod lifecycle;
pub mod owner;
pub mod tracking_number;

pub use delivery_id::DeliveryId;
