//! Rules of the metrics, without I/O: how events add up into hourly rollups, the time window
//! a question is asked over, and each metric as computed from a window's rollups.

pub mod rollups;
pub mod views;
pub mod window;
