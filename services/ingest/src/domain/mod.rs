//! Rules of a courier report, without I/O.

pub mod report;
